using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Routing;

/// <summary>
/// What forwarding needs to know of an interface the data plane transmits on. <paramref name="KernelIndex"/> is the
/// kernel ifindex (neighbour entries are per ifindex); <paramref name="Mtu"/> is the largest IP packet (L3 bytes).
/// </summary>
public readonly record struct ForwardingInterface(string Name, int KernelIndex, MacAddress Mac, int Mtu);
