using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Neighbors;

/// <summary>
/// One interface as the neighbour responder sees it: whether solicitations received on it are answered, the MAC the
/// answers carry, and the host's own IPv6 addresses on it (network order, link-local included).
/// </summary>
public sealed record NeighborProxyInterface(bool Proxy, MacAddress Mac, IReadOnlyList<UInt128> OwnAddresses);
