using System.Net;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Routing;

/// <summary>
/// Everything <see cref="ForwardingStage"/> reads, immutable once built (off the hot path). The host publishes a
/// new instance with one reference swap (e.g. after <see cref="WithResolvedNeighbours"/>) and the worker picks it
/// up between batches; the worker never blocks on resolution — an unknown next hop drops with
/// <see cref="Pipeline.DropReason.NoNeighbour"/> until a refreshed instance arrives.
/// </summary>
public sealed class ForwardingTables
{
    private readonly RouteTarget[] _targets;
    private readonly ForwardingInterface[] _interfaces;

    /// <summary>
    /// <paramref name="targets"/> are indexed by the route table's target indexes; each target's
    /// <see cref="RouteTarget.EgressInterface"/> indexes <paramref name="interfaces"/>. Both arrays are copied.
    /// </summary>
    public ForwardingTables(RouteTable routes, ReadOnlySpan<RouteTarget> targets, ReadOnlySpan<ForwardingInterface> interfaces,
        NeighbourTable? neighbours = null)
        : this(routes, targets.ToArray(), interfaces.ToArray(), neighbours ?? NeighbourTable.Empty, new NeighbourMissLog())
    {
    }

    private ForwardingTables(RouteTable routes, RouteTarget[] targets, ForwardingInterface[] interfaces, NeighbourTable neighbours, NeighbourMissLog misses)
    {
        ArgumentNullException.ThrowIfNull(routes);
        for (var i = 0; i < targets.Length; i++)
        {
            if ((uint)targets[i].EgressInterface >= (uint)interfaces.Length)
                throw new ArgumentException($"Route target {i} names egress interface {targets[i].EgressInterface}, but only {interfaces.Length} interfaces exist", nameof(targets));
        }
        for (var i = 0; i < interfaces.Length; i++)
        {
            if (interfaces[i].Mtu <= 0) throw new ArgumentException($"Interface {interfaces[i].Name}: MTU must be positive", nameof(interfaces));
        }
        Routes = routes;
        _targets = targets;
        _interfaces = interfaces;
        Neighbours = neighbours;
        Misses = misses;
    }

    public RouteTable Routes { get; }
    public ReadOnlySpan<RouteTarget> Targets => _targets;
    public ReadOnlySpan<ForwardingInterface> Interfaces => _interfaces;
    /// <summary>Neighbours for on-link targets (destination = next hop).</summary>
    public NeighbourTable Neighbours { get; }
    /// <summary>On-link destinations the worker missed; shared with every instance derived from this one.</summary>
    public NeighbourMissLog Misses { get; }

    /// <summary>
    /// Egress interface, next-hop MAC, and that interface's MAC and MTU for a packet the data plane originates (an
    /// encapsulated frame to a remote tunnel endpoint). The route table decides; with no route the destination is
    /// taken as on-link on <paramref name="onLinkInterface"/> (when non-negative) and looked up in the neighbour table.
    /// A miss is logged for the refresher and answered with <see cref="Pipeline.DropReason.NoNeighbour"/>, as in
    /// forwarding. <paramref name="destination"/> is in network order as read from memory (IPv4 in the low 32 bits).
    /// </summary>
    public Pipeline.DropReason ResolveNextHop(UInt128 destination, bool isIpv6, int onLinkInterface, out int egressInterface, out MacAddress nextHop)
    {
        var target = isIpv6 ? Routes.LookupV6(destination) : Routes.LookupV4((uint)destination);
        if ((uint)target < (uint)_targets.Length || (uint)onLinkInterface >= (uint)_interfaces.Length)
        {
            return ForwardingStage.Resolve(this, target, destination, isIpv6, out egressInterface, out nextHop);
        }
        egressInterface = onLinkInterface;
        return ForwardingStage.ResolveOnLink(this, onLinkInterface, destination, isIpv6, out nextHop);
    }

    internal RouteTarget[] TargetArray => _targets;
    internal ForwardingInterface[] InterfaceArray => _interfaces;

    /// <summary>
    /// A copy whose gateway targets carry the MACs found in <paramref name="neighbours"/> (unknown when absent) and
    /// whose on-link lookups use it. Static targets are kept. Routes and interfaces are shared, not copied.
    /// </summary>
    public ForwardingTables WithResolvedNeighbours(NeighbourTable neighbours)
    {
        ArgumentNullException.ThrowIfNull(neighbours);
        var targets = (RouteTarget[])_targets.Clone();
        for (var i = 0; i < targets.Length; i++)
        {
            var gateway = targets[i].Gateway;
            if (gateway is null) continue;
            var kernelIndex = _interfaces[targets[i].EgressInterface].KernelIndex;
            var known = neighbours.TryGet(kernelIndex, gateway, out var mac);
            targets[i] = targets[i] with { NextHopMac = known ? mac : default, NextHopKnown = known };
        }
        return new ForwardingTables(Routes, targets, _interfaces, neighbours, Misses);
    }

    /// <summary>Gateways whose MAC is unknown: (kernel ifindex, address) pairs to hand to <see cref="NeighbourResolver.RequestResolution"/>.</summary>
    public IReadOnlyList<(int KernelInterfaceIndex, IPAddress Address)> UnresolvedGateways()
    {
        var result = new List<(int, IPAddress)>();
        foreach (var target in _targets)
        {
            if (target.Gateway is not null && !target.NextHopKnown)
            {
                var item = (_interfaces[target.EgressInterface].KernelIndex, target.Gateway);
                if (!result.Contains(item)) result.Add(item);
            }
        }
        return result;
    }
}
