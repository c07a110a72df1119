using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Neighbors;

/// <summary>
/// One interface as the neighbour responder sees it: whether solicitations received on it are answered, the MAC the
/// answers carry, and the host's own IPv6 addresses on it (network order, link-local included) and IPv4 addresses
/// (network order, answered to ARP).
/// </summary>
public sealed record NeighborProxyInterface(bool Proxy, MacAddress Mac, IReadOnlyList<UInt128> OwnAddresses, IReadOnlyList<uint>? OwnAddressesV4 = null);
