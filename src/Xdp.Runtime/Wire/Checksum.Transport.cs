using System.Buffers.Binary;

namespace Xdp.Runtime.Wire;

/// <summary>
/// Full transport checksums (TCP, UDP, ICMP, ICMPv6) from the IP header views, for building and verifying packets
/// and for tests; the data path adjusts incrementally instead.
/// </summary>
public static partial class Checksum
{
    /// <summary>
    /// Offset of the checksum field in the transport header of <paramref name="protocol"/> (TCP 16, UDP 6, ICMP and
    /// ICMPv6 2), or -1 for a protocol this layer does not checksum.
    /// </summary>
    public static int TransportChecksumOffset(byte protocol) => protocol switch
    {
        IpProtocol.Tcp => 16,
        IpProtocol.Udp => 6,
        IpProtocol.Icmp or IpProtocol.Icmpv6 => 2,
        _ => -1,
    };

    /// <summary>Smallest transport header carrying the checksum (TCP 20, UDP 8, ICMP/ICMPv6 8), 0 when unknown.</summary>
    private static int TransportMinimumLength(byte protocol) => protocol switch
    {
        IpProtocol.Tcp => TcpHeader.MinHeaderLength,
        IpProtocol.Udp => UdpHeader.HeaderLength,
        IpProtocol.Icmp => Icmpv4Header.HeaderLength,
        IpProtocol.Icmpv6 => Icmpv6Header.HeaderLength,
        _ => 0,
    };

    /// <summary>
    /// The value the checksum field at <paramref name="checksumOffset"/> of <paramref name="transport"/> must hold,
    /// whatever it holds now (its current value is subtracted). With <paramref name="isUdp"/> a result of 0 becomes
    /// 0xFFFF (RFC 768). <paramref name="pseudoHeaderSum"/> is 0 for ICMPv4, which has no pseudo-header (RFC 792).
    /// </summary>
    public static ushort ComputeTransport(ReadOnlySpan<byte> transport, int checksumOffset, uint pseudoHeaderSum, bool isUdp)
    {
        var field = BinaryPrimitives.ReadUInt16BigEndian(transport.Slice(checksumOffset));
        // Adding ~field removes the field from the sum (one's-complement subtraction).
        ulong sum = (ulong)Sum(transport, pseudoHeaderSum) + (ushort)~field;
        var checksum = Finish((uint)((sum & 0xFFFF_FFFF) + (sum >> 32)));
        return isUdp ? NonZero(checksum) : checksum;
    }

    /// <summary>
    /// The transport checksum of an IPv4 datagram (TCP, UDP with the RFC 768 pseudo-header, ICMP without). False for
    /// a fragment (the checksum covers the whole datagram), another protocol, or a payload shorter than its header.
    /// </summary>
    public static bool TryComputeTransport(Ipv4Header ip, out ushort checksum)
    {
        checksum = 0;
        var protocol = ip.Protocol;
        var offset = TransportChecksumOffset(protocol);
        var payload = ip.Payload;
        if (offset < 0 || ip.MoreFragments || ip.FragmentOffset != 0 || payload.Length < TransportMinimumLength(protocol)) return false;
        var pseudo = protocol == IpProtocol.Icmp ? 0 : PseudoHeaderV4(ip.SourceAddress, ip.DestinationAddress, protocol, (ushort)payload.Length);
        checksum = ComputeTransport(payload, offset, pseudo, protocol == IpProtocol.Udp);
        return true;
    }

    /// <summary>
    /// The transport checksum of an IPv6 packet (TCP, UDP, ICMPv6; RFC 8200 section 8.1 pseudo-header with the
    /// upper-layer length), after walking its extension headers. False when the walk fails, for a fragment, when a
    /// Routing header still has segments left (the pseudo-header's destination is then the final one, not this one),
    /// for another protocol, or when the payload is shorter than its header.
    /// </summary>
    public static bool TryComputeTransport(Ipv6Header ip, out ushort checksum)
    {
        checksum = 0;
        if (!TryLocateTransport(ip, out var protocol, out var transport, out var offset)) return false;
        var pseudo = PseudoHeaderV6(ip.SourceBytes, ip.DestinationBytes, protocol, (uint)transport.Length);
        checksum = ComputeTransport(transport, offset, pseudo, protocol == IpProtocol.Udp);
        return true;
    }

    /// <summary>Computes and stores the transport checksum (see <see cref="TryComputeTransport(Ipv4Header, out ushort)"/>).</summary>
    public static bool TryFillTransport(Ipv4Header ip)
    {
        if (!TryComputeTransport(ip, out var checksum)) return false;
        BinaryPrimitives.WriteUInt16BigEndian(ip.Payload.Slice(TransportChecksumOffset(ip.Protocol)), checksum);
        return true;
    }

    /// <summary>Computes and stores the transport checksum (see <see cref="TryComputeTransport(Ipv6Header, out ushort)"/>).</summary>
    public static bool TryFillTransport(Ipv6Header ip)
    {
        if (!TryComputeTransport(ip, out var checksum)) return false;
        var chain = Ipv6ExtensionWalker.Walk(ip.PacketBytes);
        BinaryPrimitives.WriteUInt16BigEndian(ip.PacketBytes.Slice(chain.Offset + TransportChecksumOffset(chain.Protocol)), checksum);
        return true;
    }

    /// <summary>
    /// True when the transport checksum verifies: the sum over pseudo-header and transport, checksum included, folds
    /// to 0xFFFF (RFC 1071), so a stored 0x0000 and 0xFFFF are both accepted where they are equivalent. A UDP
    /// checksum of 0 over IPv4 means "none" and is accepted (RFC 768); false when it cannot be computed (see
    /// <see cref="TryComputeTransport(Ipv4Header, out ushort)"/>).
    /// </summary>
    public static bool IsTransportValid(Ipv4Header ip)
    {
        var protocol = ip.Protocol;
        var offset = TransportChecksumOffset(protocol);
        var payload = ip.Payload;
        if (offset < 0 || ip.MoreFragments || ip.FragmentOffset != 0 || payload.Length < TransportMinimumLength(protocol)) return false;
        if (protocol == IpProtocol.Udp && BinaryPrimitives.ReadUInt16BigEndian(payload.Slice(offset)) == 0) return true;
        var pseudo = protocol == IpProtocol.Icmp ? 0 : PseudoHeaderV4(ip.SourceAddress, ip.DestinationAddress, protocol, (ushort)payload.Length);
        return Fold(Sum(payload, pseudo)) == 0xFFFF;
    }

    /// <summary>
    /// True when the transport checksum verifies (see <see cref="IsTransportValid(Ipv4Header)"/>). A UDP checksum of
    /// 0 over IPv6 is invalid (RFC 8200 section 8.1; the RFC 6935 tunnel exception is the caller's decision).
    /// </summary>
    public static bool IsTransportValid(Ipv6Header ip)
    {
        if (!TryLocateTransport(ip, out var protocol, out var transport, out var offset)) return false;
        if (protocol == IpProtocol.Udp && BinaryPrimitives.ReadUInt16BigEndian(transport.Slice(offset)) == 0) return false;
        var pseudo = PseudoHeaderV6(ip.SourceBytes, ip.DestinationBytes, protocol, (uint)transport.Length);
        return Fold(Sum(transport, pseudo)) == 0xFFFF;
    }

    /// <summary>
    /// The transport header of an IPv6 packet whose checksum this layer can handle (TCP, UDP, ICMPv6), after the
    /// extension headers, with the offset of its checksum field. False when the walk fails, for a fragment, when a
    /// Routing header still has segments left (the pseudo-header would need the final destination), for another
    /// protocol, or when the transport is shorter than its header.
    /// </summary>
    public static bool TryLocateTransport(Ipv6Header ip, out byte protocol, out Span<byte> transport, out int checksumOffset)
    {
        var packet = ip.PacketBytes;
        var chain = Ipv6ExtensionWalker.Walk(packet);
        protocol = chain.Protocol;
        transport = default;
        checksumOffset = -1;
        if (chain.Status != Ipv6ChainStatus.Transport || chain.IsFragment || chain.HasPendingRouting) return false;
        checksumOffset = TransportChecksumOffset(protocol);
        transport = packet.Slice(chain.Offset);
        return checksumOffset >= 0 && protocol != IpProtocol.Icmp && transport.Length >= TransportMinimumLength(protocol);
    }
}
