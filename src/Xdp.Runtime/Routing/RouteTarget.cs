using System.Net;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Routing;

/// <summary>
/// Where a route sends a packet. Three kinds:
/// <list type="bullet">
/// <item>static: <see cref="NextHopKnown"/> with a configured <see cref="NextHopMac"/> and no gateway;</item>
/// <item>via a gateway: <see cref="Gateway"/> set; its MAC comes from the kernel neighbour table
/// (<see cref="ForwardingTables.WithResolvedNeighbours"/>);</item>
/// <item>on-link: no MAC, no gateway; each destination is its own next hop, looked up per packet in
/// <see cref="ForwardingTables.Neighbours"/>.</item>
/// </list>
/// </summary>
public readonly struct RouteTarget
{
    /// <summary>Index into <see cref="ForwardingTables.Interfaces"/> (the host's interface table, not a kernel ifindex).</summary>
    public int EgressInterface { get; init; }
    public MacAddress NextHopMac { get; init; }
    public bool NextHopKnown { get; init; }
    /// <summary>The next-hop router whose MAC is resolved; null for static and on-link targets.</summary>
    public IPAddress? Gateway { get; init; }

    public bool IsOnLink => Gateway is null && !NextHopKnown;

    public static RouteTarget Static(int egressInterface, MacAddress nextHopMac) =>
        new() { EgressInterface = egressInterface, NextHopMac = nextHopMac, NextHopKnown = true };

    public static RouteTarget Via(int egressInterface, IPAddress gateway) =>
        new() { EgressInterface = egressInterface, Gateway = gateway ?? throw new ArgumentNullException(nameof(gateway)) };

    public static RouteTarget OnLink(int egressInterface) => new() { EgressInterface = egressInterface };

    public override string ToString() =>
        Gateway is not null ? $"via {Gateway} if {EgressInterface} ({(NextHopKnown ? NextHopMac.ToString() : "unresolved")})"
        : NextHopKnown ? $"if {EgressInterface} to {NextHopMac}" : $"if {EgressInterface} on-link";
}
