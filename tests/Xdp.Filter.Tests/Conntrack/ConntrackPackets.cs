using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Xdp.Filter.Conntrack;
using Xdp.Runtime.Wire;

namespace Xdp.Filter.Tests.Conntrack;

/// <summary>
/// Builds IP packets (from the IP header on, as the policy stage hands them to conntrack) layer by layer, in the
/// manner of Xdp.Runtime.Tests' PacketBuilder: IPv4 or IPv6 by the addresses' family, lengths and the IPv4 header
/// checksum filled in. Transport checksums are left zero: conntrack does not read them.
/// </summary>
internal static class ConntrackPackets
{
    public const TcpHeader.Flag Syn = TcpHeader.Flag.Syn;
    public const TcpHeader.Flag SynAck = TcpHeader.Flag.Syn | TcpHeader.Flag.Ack;
    public const TcpHeader.Flag Ack = TcpHeader.Flag.Ack;
    public const TcpHeader.Flag FinAck = TcpHeader.Flag.Fin | TcpHeader.Flag.Ack;
    public const TcpHeader.Flag Rst = TcpHeader.Flag.Rst;
    public const TcpHeader.Flag PshAck = TcpHeader.Flag.Psh | TcpHeader.Flag.Ack;

    public static byte[] Tcp(string source, ushort sourcePort, string destination, ushort destinationPort, TcpHeader.Flag flags, int payload = 0)
    {
        var tcp = new byte[TcpHeader.MinHeaderLength + payload];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), 1000);
        tcp[12] = (TcpHeader.MinHeaderLength / 4) << 4;
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 65535);
        return Ip(source, destination, IpProtocol.Tcp, tcp);
    }

    public static byte[] Udp(string source, ushort sourcePort, string destination, ushort destinationPort, int payload = 0)
    {
        var udp = new byte[UdpHeader.HeaderLength + payload];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        return Ip(source, destination, IpProtocol.Udp, udp);
    }

    /// <summary>ICMP Echo / Echo Reply (RFC 792), ICMPv6 Echo Request / Reply (RFC 4443 section 4).</summary>
    public static byte[] Echo(string source, string destination, ushort identifier, ushort sequence, bool request)
    {
        var v6 = IsV6(source);
        var icmp = new byte[8 + 16];
        icmp[0] = v6 ? (request ? Icmpv6Header.TypeEchoRequest : Icmpv6Header.TypeEchoReply)
                     : (request ? Icmpv4Header.TypeEchoRequest : Icmpv4Header.TypeEchoReply);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), identifier);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), sequence);
        return Ip(source, destination, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, icmp);
    }

    /// <summary>
    /// An ICMP/ICMPv6 error from <paramref name="source"/> quoting the first <paramref name="quoteLength"/> bytes of
    /// <paramref name="offending"/> (RFC 792: IP header + 8 bytes; RFC 4443 section 2.4: as much as fits).
    /// </summary>
    public static byte[] Error(string source, string destination, byte type, byte code, byte[] offending, int quoteLength = int.MaxValue, uint word = 0)
    {
        var quote = offending.AsSpan(0, Math.Min(quoteLength, offending.Length));
        var icmp = new byte[8 + quote.Length];
        icmp[0] = type;
        icmp[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(icmp.AsSpan(4), word);
        quote.CopyTo(icmp.AsSpan(8));
        return Ip(source, destination, IsV6(source) ? IpProtocol.Icmpv6 : IpProtocol.Icmp, icmp);
    }

    /// <summary>Any payload under an explicit protocol; <paramref name="fragmentOffset"/> in 8-octet units (IPv4).</summary>
    public static byte[] Ip(string source, string destination, byte protocol, byte[] payload, ushort fragmentOffset = 0)
    {
        var s = IPAddress.Parse(source);
        var d = IPAddress.Parse(destination);
        if (s.AddressFamily != d.AddressFamily) throw new ArgumentException("address families differ");
        if (s.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var packet6 = new byte[Ipv6Header.HeaderLength + payload.Length];
            BinaryPrimitives.WriteUInt32BigEndian(packet6, 0x6000_0000);
            BinaryPrimitives.WriteUInt16BigEndian(packet6.AsSpan(4), (ushort)payload.Length);
            packet6[6] = protocol;
            packet6[7] = 64;
            s.TryWriteBytes(packet6.AsSpan(8), out _);
            d.TryWriteBytes(packet6.AsSpan(24), out _);
            payload.CopyTo(packet6.AsSpan(Ipv6Header.HeaderLength));
            return packet6;
        }
        var packet = new byte[Ipv4Header.MinHeaderLength + payload.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), fragmentOffset);
        packet[8] = 64;
        packet[9] = protocol;
        s.TryWriteBytes(packet.AsSpan(12), out _);
        d.TryWriteBytes(packet.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum.Compute(packet.AsSpan(0, Ipv4Header.MinHeaderLength)));
        payload.CopyTo(packet.AsSpan(Ipv4Header.MinHeaderLength));
        return packet;
    }

    public static ConntrackPacket Parse(byte[] packet)
    {
        var ok = (packet[0] >> 4) == 6
            ? ConntrackPacket.TryParseIpv6(packet, out var parsed)
            : ConntrackPacket.TryParseIpv4(packet, out parsed);
        Assert.True(ok, "packet did not parse");
        return parsed;
    }

    private static bool IsV6(string address) => address.Contains(':', StringComparison.Ordinal);
}
