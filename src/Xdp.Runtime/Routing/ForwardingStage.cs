using System.Runtime.CompilerServices;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Routing;

/// <summary>
/// IP forwarding (RFC 1812 section 5.2 / RFC 8200 section 3): validate the IP header, decrement TTL / hop limit,
/// find the route and next-hop MAC, rewrite the Ethernet addresses and transmit. Every failure is a named drop;
/// no allocation, no exception. VLAN tags are preserved as received (the data plane does not switch VLANs).
/// <para>
/// <see cref="Tables"/> is a plain field: the host swaps it between batches (the worker owns the stage).
/// </para>
/// </summary>
public struct ForwardingStage : IPacketStage
{
    public ForwardingTables Tables;

    public ForwardingStage(ForwardingTables tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        Tables = tables;
    }

    public Verdict Process(ref PacketContext packet)
    {
        if (!EthernetFrame.TryCreate(packet.Bytes, out var frame)) return packet.Drop(DropReason.Malformed);
        return frame.EtherType switch
        {
            EtherType.Ipv4 => ForwardV4(ref packet, frame),
            EtherType.Ipv6 => ForwardV6(ref packet, frame),
            _ => packet.Drop(DropReason.UnsupportedEthertype),
        };
    }

    private Verdict ForwardV4(ref PacketContext packet, EthernetFrame frame)
    {
        if (!Ipv4Header.TryCreate(frame.Payload, out var ip, out var error))
        {
            return packet.Drop(error == Ipv4Header.Error.Truncated ? DropReason.Malformed : DropReason.BadIpv4Header);
        }
        if (!ip.IsChecksumValid) return packet.Drop(DropReason.BadIpv4Header);
        // RFC 1812 section 5.3.1: a forwarded packet whose TTL would reach zero is discarded.
        if (ip.Ttl <= 1) return packet.Drop(DropReason.TtlExceeded);

        var tables = Tables;
        var destination = ip.DestinationAddress;
        var reason = Resolve(tables, tables.Routes.LookupV4(destination), destination, isIpv6: false, out var egressIndex, out var nextHop);
        if (reason != DropReason.None) return packet.Drop(reason);
        ref readonly var egress = ref tables.InterfaceArray[egressIndex];

        var totalLength = ip.TotalLength;
        // No fragmentation in the data plane: an oversized packet is dropped whatever its DF bit.
        if (totalLength > egress.Mtu) return packet.Drop(DropReason.TooBig);

        ip.DecrementTtl();
        return Rewrite(ref packet, frame, frame.PayloadOffset + totalLength, nextHop, egress.Mac, egressIndex);
    }

    private Verdict ForwardV6(ref PacketContext packet, EthernetFrame frame)
    {
        if (!Ipv6Header.TryCreate(frame.Payload, out var ip, out var error))
        {
            return packet.Drop(error == Ipv6Header.Error.Truncated ? DropReason.Malformed : DropReason.BadIpv6Header);
        }
        // RFC 8200 section 3: a node forwarding a packet whose hop limit would reach zero discards it.
        if (ip.HopLimit <= 1) return packet.Drop(DropReason.TtlExceeded);

        // RFC 4291 section 2.5.6: packets with a link-local source or destination are never forwarded; a multicast
        // source is invalid (section 2.7) and multicast routing is not the data plane's job.
        if (IsLinkLocalOrMulticast(ip.DestinationBytes) || IsLinkLocalOrMulticast(ip.SourceBytes))
        {
            return packet.Drop(DropReason.NoRoute);
        }

        var destination = ip.DestinationAddress;
        var tables = Tables;
        var reason = Resolve(tables, tables.Routes.LookupV6(destination), destination, isIpv6: true, out var egressIndex, out var nextHop);
        if (reason != DropReason.None) return packet.Drop(reason);
        ref readonly var egress = ref tables.InterfaceArray[egressIndex];

        var totalLength = ip.TotalLength;
        // RFC 8200 section 5: routers never fragment; the source learns the MTU from Packet Too Big.
        if (totalLength > egress.Mtu) return packet.Drop(DropReason.TooBig);

        ip.HopLimit = (byte)(ip.HopLimit - 1);
        return Rewrite(ref packet, frame, frame.PayloadOffset + totalLength, nextHop, egress.Mac, egressIndex);
    }

    /// <summary>
    /// Route target -> egress interface and next-hop MAC, for both families. Static and resolved-gateway targets carry
    /// the MAC; on-link targets look the destination up in the neighbour table and, on a miss, log it for the host's
    /// refresher (never waiting for resolution on the hot path).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static DropReason Resolve(ForwardingTables tables, int targetIndex, UInt128 destination, bool isIpv6, out int egressIndex, out MacAddress nextHop)
    {
        var targets = tables.TargetArray;
        if ((uint)targetIndex >= (uint)targets.Length)
        {
            egressIndex = -1;
            nextHop = default;
            return DropReason.NoRoute;
        }
        ref readonly var target = ref targets[targetIndex];
        egressIndex = target.EgressInterface;
        if (target.NextHopKnown)
        {
            nextHop = target.NextHopMac;
            return DropReason.None;
        }
        if (target.Gateway is not null)
        {
            nextHop = default;
            return DropReason.NoNeighbour;
        }
        return ResolveOnLink(tables, egressIndex, destination, isIpv6, out nextHop);
    }

    /// <summary>
    /// An on-link destination's MAC from the neighbour table of <paramref name="egressIndex"/>; a miss is logged for the
    /// host's refresher and answered with <see cref="DropReason.NoNeighbour"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static DropReason ResolveOnLink(ForwardingTables tables, int egressIndex, UInt128 destination, bool isIpv6, out MacAddress nextHop)
    {
        var kernelIndex = tables.InterfaceArray[egressIndex].KernelIndex;
        var found = isIpv6
            ? tables.Neighbours.TryGetV6(kernelIndex, destination, out nextHop)
            : tables.Neighbours.TryGetV4(kernelIndex, (uint)destination, out nextHop);
        if (found) return DropReason.None;
        tables.Misses.Record(egressIndex, destination, isIpv6);
        return DropReason.NoNeighbour;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Verdict Rewrite(ref PacketContext packet, EthernetFrame frame, int frameLength, MacAddress destination, MacAddress source, int egressInterface)
    {
        frame.Destination = destination;
        frame.Source = source;
        // Ethernet pads frames to 60 bytes (IEEE 802.3 clause 3.2.8); the padding is not part of the IP packet.
        packet.Tailroom += packet.Length - frameLength;
        packet.Length = frameLength;
        return packet.Transmit(egressInterface);
    }

    // fe80::/10 link-local, ff00::/8 multicast (RFC 4291 sections 2.4, 2.7): checked on the first two bytes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsLinkLocalOrMulticast(ReadOnlySpan<byte> address) =>
        address[0] == 0xFF || (address[0] == 0xFE && (address[1] & 0xC0) == 0x80);
}
