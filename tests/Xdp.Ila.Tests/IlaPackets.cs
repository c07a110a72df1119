using System.Buffers.Binary;
using System.Net;
using Xdp.Runtime.Wire;

namespace Xdp.Ila.Tests;

/// <summary>Hand-built IPv6 test packets with valid transport checksums, and a from-scratch checksum verifier.</summary>
internal static class IlaPackets
{
    public const byte Tcp = 6, Udp = 17, Icmpv6 = 58;
    public const string Source = "2001:db8:5151::1:0:0:1";

    public enum Transport { Tcp, Udp, UdpZeroChecksum, Icmpv6 }

    public static readonly Transport[] AllTransports = [Transport.Tcp, Transport.Udp, Transport.UdpZeroChecksum, Transport.Icmpv6];

    /// <summary>| IPv6 src -> dst | transport | payload "ila!" repeated |.</summary>
    public static byte[] Ipv6(string destination, Transport transport, int payloadBytes = 12, string source = Source)
    {
        var l4Header = transport == Transport.Tcp ? 20 : transport == Transport.Icmpv6 ? 8 : 8;
        var l4Length = l4Header + payloadBytes;
        var p = new byte[40 + l4Length];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)l4Length);
        p[6] = transport switch { Transport.Tcp => Tcp, Transport.Icmpv6 => Icmpv6, _ => Udp };
        p[7] = 64;
        IPAddress.Parse(source).TryWriteBytes(p.AsSpan(8), out _);
        IPAddress.Parse(destination).TryWriteBytes(p.AsSpan(24), out _);
        var l4 = p.AsSpan(40);
        for (var i = l4Header; i < l4Length; i++) l4[i] = (byte)"ila!"[i % 4];
        switch (transport)
        {
            case Transport.Tcp:
                BinaryPrimitives.WriteUInt16BigEndian(l4, 40000);
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], 80);
                BinaryPrimitives.WriteUInt32BigEndian(l4[4..], 0x12345678);
                l4[12] = 0x50;
                l4[13] = 0x18; // PSH ACK
                BinaryPrimitives.WriteUInt16BigEndian(l4[14..], 512);
                break;
            case Transport.Udp or Transport.UdpZeroChecksum:
                BinaryPrimitives.WriteUInt16BigEndian(l4, 4000);
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], 80);
                BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)l4Length);
                break;
            case Transport.Icmpv6:
                l4[0] = 128; // echo request
                BinaryPrimitives.WriteUInt16BigEndian(l4[4..], 0x4242);
                BinaryPrimitives.WriteUInt16BigEndian(l4[6..], 7);
                break;
        }
        if (transport != Transport.UdpZeroChecksum)
        {
            var checksum = ComputeTransportChecksum(p);
            if (transport == Transport.Udp && checksum == 0) checksum = 0xFFFF;
            BinaryPrimitives.WriteUInt16BigEndian(l4[ChecksumOffset(transport)..], checksum);
        }
        return p;
    }

    public static int ChecksumOffset(Transport transport) => transport switch { Transport.Tcp => 16, Transport.Icmpv6 => 2, _ => 6 };

    /// <summary>The checksum over pseudo-header + transport with the field as it is (0 when the field is valid).</summary>
    public static ushort ComputeTransportChecksum(ReadOnlySpan<byte> packet)
    {
        var length = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        var sum = Checksum.PseudoHeaderV6(packet.Slice(8, 16), packet.Slice(24, 16), packet[6], length);
        return Checksum.Finish(Checksum.Sum(packet.Slice(40, length), sum));
    }

    /// <summary>The transport checksum is valid, verified from scratch over the whole packet.</summary>
    public static bool TransportChecksumValid(ReadOnlySpan<byte> packet) => ComputeTransportChecksum(packet) == 0;

    public static ushort TransportChecksumField(ReadOnlySpan<byte> packet, Transport transport) =>
        BinaryPrimitives.ReadUInt16BigEndian(packet[(40 + ChecksumOffset(transport))..]);

    /// <summary>The destination as eight uncompressed groups ("2001:db8:b:0:1001:0:0:4148"), as ila.rst writes them.</summary>
    public static string Destination(ReadOnlySpan<byte> packet)
    {
        var groups = new string[8];
        for (var i = 0; i < 8; i++) groups[i] = BinaryPrimitives.ReadUInt16BigEndian(packet[(24 + 2 * i)..]).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        return string.Join(':', groups);
    }

    /// <summary>| eth | packet |.</summary>
    public static byte[] Frame(byte[] ipv6Packet, ushort etherType = EtherType.Ipv6)
    {
        var f = new byte[14 + ipv6Packet.Length];
        MacAddress.Parse("02:00:00:00:00:02").WriteTo(f);
        MacAddress.Parse("02:00:00:00:00:01").WriteTo(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), etherType);
        ipv6Packet.CopyTo(f.AsSpan(14));
        return f;
    }
}
