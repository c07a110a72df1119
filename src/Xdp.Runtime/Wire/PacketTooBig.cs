using System.Buffers.Binary;
using Xdp.Runtime.Pipeline;

namespace Xdp.Runtime.Wire;

/// <summary>
/// Turns a frame that cannot be sent (too big for the path) into the ICMP error that tells its sender the usable MTU,
/// in place: ICMP Destination Unreachable / Fragmentation Needed (RFC 792, RFC 1191 section 4) for IPv4, ICMPv6
/// Packet Too Big (RFC 4443 section 3.2) for IPv6. The error quotes the start of the offending packet, which stays
/// where it is in the frame; the new Ethernet, IP and ICMP headers are written into the headroom before it.
/// <para>
/// As the kernel's tunnels do for bridged traffic (<c>iptunnel_pmtud_build_icmp</c>), the error comes from the
/// packet's own destination: Ethernet and IP addresses are swapped, so a sender on an L2 segment accepts it from
/// the peer it was talking to. No error is built about an ICMP error, a non-first fragment, or from/to an address
/// that must not get one (RFC 1122 section 3.2.2, RFC 4443 section 2.4 (e)).
/// </para>
/// </summary>
public static unsafe class PacketTooBig
{
    /// <summary>RFC 1812 section 4.3.2.3: an ICMPv4 error quotes as much as fits in 576 bytes.</summary>
    public const int MaxIcmpv4Packet = 576;
    /// <summary>RFC 4443 section 2.4 (c): an ICMPv6 error must not exceed the minimum IPv6 MTU.</summary>
    public const int MaxIcmpv6Packet = 1280;
    public const byte DefaultHopLimit = 64;

    /// <summary>
    /// Rewrites <paramref name="packet"/> (an Ethernet frame without VLAN tags) into the error, addressed back out of
    /// its ingress interface. False when no error may be sent for it or the headroom is too small; the packet is then
    /// unchanged and should be dropped.
    /// </summary>
    public static bool TryBuild(ref PacketContext packet, int mtu)
    {
        if (packet.Length < EthernetFrame.HeaderLength + Ipv4Header.MinHeaderLength) return false;
        var etherType = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(packet.Data + 12, 2));
        return etherType switch
        {
            EtherType.Ipv4 => TryBuildV4(ref packet, mtu),
            EtherType.Ipv6 => TryBuildV6(ref packet, mtu),
            _ => false,
        };
    }

    private static bool TryBuildV4(ref PacketContext packet, int mtu)
    {
        var original = new Span<byte>(packet.Data + EthernetFrame.HeaderLength, packet.Length - EthernetFrame.HeaderLength);
        if (!Ipv4Header.TryCreate(original, out var ip) || !ip.IsChecksumValid || ip.FragmentOffset != 0) return false;
        var source = ip.SourceAddress;
        var destination = ip.DestinationAddress;
        // RFC 1122 section 3.2.2: never about a broadcast/multicast destination, nor to an address that is not one host.
        if (!IsUnicastV4(source) || !IsUnicastV4(destination)) return false;
        if (ip.Protocol == IpProtocol.Icmp && IsIcmpv4Error(ip)) return false;

        const int added = Ipv4Header.MinHeaderLength + Icmpv4Header.HeaderLength;
        var quoted = Math.Min((int)ip.TotalLength, MaxIcmpv4Packet - added);
        if (!TryMakeRoom(ref packet, added, quoted, out var dstMac, out var srcMac)) return false;

        var frame = new Span<byte>(packet.Data, packet.Length);
        WriteEthernet(frame, dstMac, srcMac, EtherType.Ipv4);
        var header = frame.Slice(EthernetFrame.HeaderLength, Ipv4Header.MinHeaderLength);
        header[0] = 0x45;
        header[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header.Slice(2), (ushort)(added + quoted));
        BinaryPrimitives.WriteUInt32BigEndian(header.Slice(4), 0);
        header[8] = DefaultHopLimit;
        header[9] = IpProtocol.Icmp;
        BinaryPrimitives.WriteUInt16BigEndian(header.Slice(10), 0);
        // The addresses are raw network-order words; write them back as read.
        System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref header[12], destination);
        System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref header[16], source);
        BinaryPrimitives.WriteUInt16BigEndian(header.Slice(10), Checksum.Compute(header));

        var icmp = frame.Slice(EthernetFrame.HeaderLength + Ipv4Header.MinHeaderLength);
        icmp[0] = Icmpv4Header.TypeDestinationUnreachable;
        icmp[1] = 4; // fragmentation needed and DF set
        BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(2), 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(4), 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(6), (ushort)Math.Clamp(mtu, 68, ushort.MaxValue));
        BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(2), Checksum.Compute(icmp));
        packet.EgressInterface = packet.IngressInterface;
        return true;
    }

    private static bool TryBuildV6(ref PacketContext packet, int mtu)
    {
        var original = new Span<byte>(packet.Data + EthernetFrame.HeaderLength, packet.Length - EthernetFrame.HeaderLength);
        if (!Ipv6Header.TryCreate(original, out var ip)) return false;
        var source = ip.SourceBytes;
        // RFC 4443 section 2.4 (e): not to an unspecified or multicast source. (A multicast destination is allowed
        // for Packet Too Big, exception e.2.)
        if (source[0] == 0xFF || IsUnspecified(source)) return false;
        if (ip.NextHeader == IpProtocol.Icmpv6 && ip.Payload.Length > 0 && ip.Payload[0] < 128) return false;
        Span<byte> from = stackalloc byte[16];
        Span<byte> to = stackalloc byte[16];
        ip.DestinationBytes.CopyTo(from);
        source.CopyTo(to);
        // Replying from a multicast address is not possible: use no error rather than a wrong source.
        if (from[0] == 0xFF) return false;

        const int added = 40 + Icmpv6Header.HeaderLength;
        var quoted = Math.Min((int)ip.TotalLength, MaxIcmpv6Packet - added);
        if (!TryMakeRoom(ref packet, added, quoted, out var dstMac, out var srcMac)) return false;

        var frame = new Span<byte>(packet.Data, packet.Length);
        WriteEthernet(frame, dstMac, srcMac, EtherType.Ipv6);
        var header = frame.Slice(EthernetFrame.HeaderLength, 40);
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x6000_0000);
        var payloadLength = (ushort)(Icmpv6Header.HeaderLength + quoted);
        BinaryPrimitives.WriteUInt16BigEndian(header.Slice(4), payloadLength);
        header[6] = IpProtocol.Icmpv6;
        header[7] = DefaultHopLimit;
        from.CopyTo(header.Slice(8));
        to.CopyTo(header.Slice(24));

        var icmp = frame.Slice(EthernetFrame.HeaderLength + 40, payloadLength);
        icmp[0] = Icmpv6Header.TypePacketTooBig;
        icmp[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(2), 0);
        BinaryPrimitives.WriteUInt32BigEndian(icmp.Slice(4), (uint)Math.Max(mtu, 1280));
        var pseudo = Checksum.PseudoHeaderV6(from, to, IpProtocol.Icmpv6, payloadLength);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(2), Checksum.ComputeTransport(icmp, Icmpv6Header.ChecksumOffset, pseudo, isUdp: false));
        packet.EgressInterface = packet.IngressInterface;
        return true;
    }

    /// <summary>
    /// Reads the frame's MACs, then grows it at the front by <paramref name="added"/> bytes and cuts it to the new
    /// headers plus <paramref name="quoted"/> bytes of the original IP packet (which does not move).
    /// </summary>
    private static bool TryMakeRoom(ref PacketContext packet, int added, int quoted, out MacAddress replyTo, out MacAddress replyFrom)
    {
        var ethernet = new ReadOnlySpan<byte>(packet.Data, EthernetFrame.HeaderLength);
        replyTo = MacAddress.Read(ethernet.Slice(6));
        replyFrom = MacAddress.Read(ethernet);
        if (!packet.Push(added)) return false;
        var length = EthernetFrame.HeaderLength + added + quoted;
        packet.Tailroom += packet.Length - length;
        packet.Length = length;
        return true;
    }

    private static void WriteEthernet(Span<byte> frame, MacAddress destination, MacAddress source, ushort etherType)
    {
        destination.WriteTo(frame);
        source.WriteTo(frame.Slice(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(12), etherType);
    }

    private static bool IsUnicastV4(uint networkOrder)
    {
        var host = NetworkOrder.ToHost(networkOrder);
        var first = host >> 24;
        return host != 0 && host != 0xFFFF_FFFF && first < 224 && first != 0 && first != 127;
    }

    private static bool IsIcmpv4Error(Ipv4Header ip)
    {
        var payload = ip.Payload;
        if (payload.Length == 0) return true;
        var type = payload[0];
        // Only queries (echo, timestamp, information, address mask) may get an error (RFC 1122 section 3.2.2).
        return type is not (Icmpv4Header.TypeEchoRequest or Icmpv4Header.TypeEchoReply or 13 or 14 or 15 or 16 or 17 or 18);
    }

    private static bool IsUnspecified(ReadOnlySpan<byte> address)
    {
        foreach (var b in address)
        {
            if (b != 0) return false;
        }
        return true;
    }
}
