using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace XdpNet.LoadGen.Gen;

/// <summary>
/// Builds one complete Ethernet / IPv4-or-IPv6 / UDP frame with valid checksums. Copy-mode AF_XDP
/// and XDP_TX frames carry no checksum offload, so every checksum is computed here.
/// </summary>
internal static class UdpFrameBuilder
{
    public const int MinFrame = 64;   // the Ethernet minimum without FCS would be 60; 64 holds Ethernet+IPv6+UDP
    public const int MaxFrame = 1518;
    private const int EthernetLength = 14;
    private const int Ipv4Length = 20;
    private const int Ipv6Length = 40;
    private const int UdpLength = 8;

    /// <param name="size">L2 frame length without FCS (the bytes XDP sees).</param>
    public static byte[] Build(int size, ReadOnlySpan<byte> srcMac, ReadOnlySpan<byte> dstMac,
        IPAddress src, IPAddress dst, ushort srcPort, ushort dstPort)
    {
        bool v6 = src.AddressFamily == AddressFamily.InterNetworkV6;
        int ipLength = v6 ? Ipv6Length : Ipv4Length;
        var frame = new byte[size];
        Span<byte> f = frame;

        // | dst MAC | src MAC | ethertype |  (IEEE 802.3)
        dstMac.CopyTo(f);
        srcMac.CopyTo(f[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(f[12..], v6 ? (ushort)0x86DD : (ushort)0x0800);

        Span<byte> ip = f.Slice(EthernetLength, ipLength);
        Span<byte> udp = f[(EthernetLength + ipLength)..];
        int udpLength = udp.Length;
        for (int i = UdpLength; i < udpLength; i++)
            udp[i] = (byte)i; // a recognisable payload

        if (v6)
        {
            // RFC 8200 §3: version 6, traffic class 0, flow label 0.
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)udpLength);
            ip[6] = 17;  // next header: UDP
            ip[7] = 64;  // hop limit
            src.TryWriteBytes(ip[8..24], out _);
            dst.TryWriteBytes(ip[24..40], out _);
        }
        else
        {
            // RFC 791 §3.1: IHL 5, DF set (never fragmented), TTL 64, protocol UDP.
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ipLength + udpLength));
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);
            ip[8] = 64;
            ip[9] = 17;
            src.TryWriteBytes(ip[12..16], out _);
            dst.TryWriteBytes(ip[16..20], out _);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Fold(Sum(ip, 0)));
        }

        // RFC 768: | src port | dst port | length | checksum |, checksum over pseudo-header + UDP.
        BinaryPrimitives.WriteUInt16BigEndian(udp, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        ulong pseudo = v6
            ? Sum(ip.Slice(8, 32), 0) + (uint)udpLength + 17    // RFC 8200 §8.1
            : Sum(ip.Slice(12, 8), 0) + (uint)udpLength + 17;   // RFC 768
        ushort check = Fold(Sum(udp, pseudo));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], check == 0 ? (ushort)0xFFFF : check); // RFC 768: 0 is sent as all ones
        return frame;
    }

    /// <summary>Offset of the UDP header in a frame built for this address family.</summary>
    public static int UdpOffset(AddressFamily family) =>
        EthernetLength + (family == AddressFamily.InterNetworkV6 ? Ipv6Length : Ipv4Length);

    private static ulong Sum(ReadOnlySpan<byte> data, ulong sum)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length)
            sum += (uint)data[i] << 8;
        return sum;
    }

    // One's-complement fold of a 64-bit accumulator, complemented (RFC 1071 §4.1).
    private static ushort Fold(ulong sum)
    {
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
