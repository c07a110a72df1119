using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Neighbors;

/// <summary>
/// Neighbour discovery proxy (IPv6): on an interface the <see cref="Table"/> marks as proxying, a valid Neighbor
/// Solicitation for a target the data plane answers for is rewritten in place into the Neighbor Advertisement and
/// sent back out of the interface it came in on, so containers need neither a kernel NDP proxy nor static entries.
/// <list type="bullet">
/// <item>Validity is RFC 4861 section 7.1.1: hop limit 255, ICMPv6 checksum, code 0, ICMP length &gt;= 24, target
/// not multicast, options of non-zero length; from the unspecified source only to a solicited-node group and without
/// a Source Link-Layer Address option. A solicitation failing them is dropped as bad-neighbor-solicitation.</item>
/// <item>A valid solicitation for a target not answered is dropped as neighbor-not-answered (nothing else on the
/// data plane would answer it: the target is on the link itself, or unknown).</item>
/// <item>Anything else (not IPv6, not an NS directly after the IPv6 header, or a non-proxying interface) continues
/// untouched.</item>
/// </list>
/// The advertisement (section 7.2.4): IPv6 source = target, destination = the solicitation's source (all-nodes
/// ff02::1 with S=0 when that was unspecified, i.e. duplicate address detection), hop limit 255, S=1 otherwise,
/// a Target Link-Layer Address option with the interface MAC. The host's own addresses are answered as the kernel
/// would (R=1 since the host routes for its containers, O=1); proxied targets with R=0, O=0 (section 7.2.8: a proxy
/// advertisement must not override the cache entry of a node that answers for itself).
/// </summary>
public struct NeighborResponderStage : IPacketStage
{
    private const int Icmpv6Offset = Ipv6Header.HeaderLength;
    private const int AdvertisementLength = NeighborAdvertisement.LengthWithLinkLayerAddress;

    public NeighborResponderTable Table;

    public NeighborResponderStage(NeighborResponderTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        Table = table;
    }

    public readonly Verdict Process(ref PacketContext packet)
    {
        var table = Table;
        if (!table.IsProxying(packet.IngressInterface)) return Verdict.Continue;
        var bytes = packet.Bytes;
        if (!EthernetFrame.TryCreate(bytes, out var frame)) return Verdict.Continue;
        if (frame.EtherType == EtherType.Arp) return AnswerArp(ref packet, frame, table);
        if (frame.EtherType != EtherType.Ipv6) return Verdict.Continue;
        var l3 = frame.PayloadOffset;
        var ip6 = frame.Payload;
        if (ip6.Length < Icmpv6Offset + 1 || ip6[6] != IpProtocol.Icmpv6 || ip6[Icmpv6Offset] != Icmpv6Header.TypeNeighborSolicitation)
            return Verdict.Continue;
        if (!Ipv6Header.TryCreate(ip6, out var ip, out _) || !IsValid(ip, out var unspecifiedSource))
            return packet.Drop(DropReason.BadNeighborSolicitation);

        var ns = ip.Payload;
        var target = ns.Slice(8, 16);
        var answer = table.Lookup(packet.IngressInterface, target);
        if (answer == NeighborAnswer.None) return packet.Drop(DropReason.NeighborNotAnswered);

        // The advertisement is ICMPv6 32 bytes: the frame grows by 8 when the solicitation had no option.
        var newLength = l3 + Icmpv6Offset + AdvertisementLength;
        var grow = newLength - packet.Length;
        if (grow > packet.Tailroom) return packet.Drop(DropReason.Malformed);

        // Read everything the answer needs before the bytes are overwritten.
        var targetAddress = Unsafe.ReadUnaligned<UInt128>(ref MemoryMarshal.GetReference(target));
        var sourceAddress = Unsafe.ReadUnaligned<UInt128>(ref MemoryMarshal.GetReference(ip.SourceBytes));
        var requester = frame.Source;
        var mac = table.Mac(packet.IngressInterface);

        packet.Length = newLength;
        packet.Tailroom -= grow;
        bytes = packet.Bytes;
        var eth = bytes;
        (unspecifiedSource ? AllNodesMac : requester).WriteTo(eth);
        mac.WriteTo(eth.Slice(6));

        var header = bytes.Slice(l3, Icmpv6Offset + AdvertisementLength);
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x6000_0000);
        BinaryPrimitives.WriteUInt16BigEndian(header.Slice(4), AdvertisementLength);
        header[6] = IpProtocol.Icmpv6;
        header[7] = 255;
        Unsafe.WriteUnaligned(ref header[8], targetAddress);
        Unsafe.WriteUnaligned(ref header[24], unspecifiedSource ? AllNodes : sourceAddress);

        var icmp = header.Slice(Icmpv6Offset);
        var own = answer == NeighborAnswer.Own;
        NeighborAdvertisement.Write(icmp, targetAddress, mac, router: own, solicited: !unspecifiedSource, @override: own);
        Icmpv6Header.TryCreate(icmp, out var message);
        message.FillChecksum(header.Slice(8, 16), header.Slice(24, 16));
        return packet.Transmit(packet.IngressInterface);
    }

    /// <summary>ff02::1 (RFC 4291 section 2.7.1), network order as read from memory.</summary>
    private static readonly UInt128 AllNodes = Unsafe.ReadUnaligned<UInt128>(ref MemoryMarshal.GetArrayDataReference(
        new byte[] { 0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }));

    /// <summary>33:33:00:00:00:01, the Ethernet group of ff02::1 (RFC 2464 section 7).</summary>
    private static readonly MacAddress AllNodesMac = MacAddress.Read([0x33, 0x33, 0, 0, 0, 1]);

    /// <summary>The RFC 4861 section 7.1.1 checks.</summary>
    private static bool IsValid(Ipv6Header ip, out bool unspecifiedSource)
    {
        unspecifiedSource = false;
        if (ip.HopLimit != 255) return false;
        var message = ip.Payload;
        if (!Icmpv6Header.TryCreate(message, out var icmp) || !icmp.IsChecksumValid(ip.SourceBytes, ip.DestinationBytes)) return false;
        if (!NeighborSolicitation.TryCreate(message, out var ns)) return false;
        var source = ip.SourceBytes;
        if (source[0] == 0xFF) return false;
        unspecifiedSource = source.IndexOfAnyExcept((byte)0) < 0;
        if (unspecifiedSource)
        {
            // Duplicate address detection: sent to the target's solicited-node group, never with a source link-layer option.
            if (ns.HasSourceLinkLayerAddress || !IsSolicitedNode(ip.DestinationBytes)) return false;
        }
        return true;
    }

    /// <summary>ff02::1:ffXX:XXXX (RFC 4291 section 2.7.1).</summary>
    private static bool IsSolicitedNode(ReadOnlySpan<byte> address) =>
        BinaryPrimitives.ReadUInt64BigEndian(address) == 0xFF02_0000_0000_0000UL
        && BinaryPrimitives.ReadUInt32BigEndian(address.Slice(8)) == 1
        && address[12] == 0xFF;

    /// <summary>
    /// RFC 826: an Ethernet/IPv4 request for an address answered on this interface becomes the reply in place
    /// (sender = the answered address at the interface MAC, target = the requester) and goes back out. A request
    /// for anything else (the target answers for itself) is dropped as neighbor-not-answered; ARP that is not an
    /// Ethernet/IPv4 request continues untouched (the steering program only hands requests over).
    /// </summary>
    private static Verdict AnswerArp(ref PacketContext packet, EthernetFrame frame, NeighborResponderTable table)
    {
        if (!ArpPacket.TryCreate(frame.Payload, out var arp) || !arp.IsRequest) return Verdict.Continue;
        var target = arp.TargetProtocolAddress;
        var answer = table.LookupV4(packet.IngressInterface, target);
        if (answer == NeighborAnswer.None) return packet.Drop(DropReason.NeighborNotAnswered);
        var requesterMac = arp.SenderHardwareAddress;
        var requesterIp = arp.SenderProtocolAddress;
        var mac = table.Mac(packet.IngressInterface);
        ArpPacket.Write(frame.Payload, ArpPacket.OperationReply, mac, target, requesterMac, requesterIp);
        frame.Destination = requesterMac;
        frame.Source = mac;
        return packet.Transmit(packet.IngressInterface);
    }
}
