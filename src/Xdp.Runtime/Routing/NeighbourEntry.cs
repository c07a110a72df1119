using System.Net;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Routing;

/// <summary>One neighbour: an IP address on a kernel interface and its link-layer address.</summary>
public readonly record struct NeighbourEntry(int KernelInterfaceIndex, IPAddress Address, MacAddress Mac, NeighbourState State)
{
    /// <summary>
    /// States whose MAC may be used to transmit: REACHABLE and PERMANENT are confirmed; STALE, DELAY and PROBE
    /// hold the last known MAC while the kernel re-verifies it (RFC 4861 section 7.3.2 allows sending to them).
    /// </summary>
    public const NeighbourState UsableStates =
        NeighbourState.Reachable | NeighbourState.Stale | NeighbourState.Permanent | NeighbourState.Delay | NeighbourState.Probe;

    public bool IsUsable => (State & UsableStates) != 0;
}
