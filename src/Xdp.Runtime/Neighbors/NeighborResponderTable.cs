using System.Buffers.Binary;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Neighbors;

/// <summary>
/// Which IPv6 targets the data plane answers Neighbor Solicitations for, per interface (index in the host's interface
/// table). Built off the hot path; immutable, so a reload builds a new one and swaps the reference.
/// On a proxying interface X, a target is answered, in this order:
/// <list type="number">
/// <item>as <see cref="NeighborAnswer.Own"/> when it is one of the host's addresses on X (steering hands the
/// solicited-node multicast group to the data plane, so the kernel no longer sees these solicitations);</item>
/// <item>as <see cref="NeighborAnswer.Proxy"/> when the longest matching route leaves by another interface;
/// not at all when it leaves by X (the target is on that link and answers for itself; answering would also fail
/// its duplicate address detection);</item>
/// <item>as <see cref="NeighborAnswer.Proxy"/> when no route matches but a SIR prefix does (ILA translates and
/// routes it).</item>
/// </list>
/// </summary>
public sealed class NeighborResponderTable
{
    private readonly bool[] _proxy;
    private readonly MacAddress[] _macs;
    private readonly UInt128[][] _own;
    private readonly uint[][] _ownV4;
    private readonly RouteTable _routes;
    private readonly int[] _routeEgress;
    private readonly ulong[] _sirPrefixes;

    /// <param name="interfaces">By interface index.</param>
    /// <param name="routes">The host's routes; a hit is an index into <paramref name="routeEgress"/>.</param>
    /// <param name="routeEgress">Egress interface index of each route target.</param>
    /// <param name="sirPrefixes">Upper 64 bits (host order) of the ILA SIR prefixes.</param>
    public NeighborResponderTable(IReadOnlyList<NeighborProxyInterface> interfaces, RouteTable routes, ReadOnlySpan<int> routeEgress, ReadOnlySpan<ulong> sirPrefixes)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        ArgumentNullException.ThrowIfNull(routes);
        _proxy = new bool[interfaces.Count];
        _macs = new MacAddress[interfaces.Count];
        _own = new UInt128[interfaces.Count][];
        _ownV4 = new uint[interfaces.Count][];
        for (var i = 0; i < interfaces.Count; i++)
        {
            _proxy[i] = interfaces[i].Proxy;
            _macs[i] = interfaces[i].Mac;
            _own[i] = [.. interfaces[i].OwnAddresses];
            _ownV4[i] = interfaces[i].OwnAddressesV4 is { } v4 ? [.. v4] : [];
            AnyProxy |= interfaces[i].Proxy;
        }
        _routes = routes;
        _routeEgress = routeEgress.ToArray();
        _sirPrefixes = sirPrefixes.ToArray();
    }

    public static NeighborResponderTable Empty { get; } = new([], RouteTable.Empty, [], []);

    /// <summary>True when at least one interface proxies (otherwise the stage can be skipped).</summary>
    public bool AnyProxy { get; }

    public int InterfaceCount => _proxy.Length;

    public bool IsProxying(int interfaceIndex) => (uint)interfaceIndex < (uint)_proxy.Length && _proxy[interfaceIndex];

    /// <summary>The MAC advertised on an interface (valid for a proxying index).</summary>
    public MacAddress Mac(int interfaceIndex) => _macs[interfaceIndex];

    /// <summary>How a solicitation for <paramref name="target"/> (16 bytes as on the wire) received on
    /// <paramref name="interfaceIndex"/> is answered; allocation-free.</summary>
    public NeighborAnswer Lookup(int interfaceIndex, ReadOnlySpan<byte> target)
    {
        if (!IsProxying(interfaceIndex) || target.Length < 16) return NeighborAnswer.None;
        var address = System.Runtime.CompilerServices.Unsafe.ReadUnaligned<UInt128>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(target));
        if (Array.IndexOf(_own[interfaceIndex], address) >= 0) return NeighborAnswer.Own;
        var route = _routes.LookupV6(address);
        if (route >= 0)
            return (uint)route < (uint)_routeEgress.Length && _routeEgress[route] != interfaceIndex ? NeighborAnswer.Proxy : NeighborAnswer.None;
        var prefix = BinaryPrimitives.ReadUInt64BigEndian(target);
        return Array.IndexOf(_sirPrefixes, prefix) >= 0 ? NeighborAnswer.Proxy : NeighborAnswer.None;
    }

    /// <summary>
    /// How an ARP request for <paramref name="targetNetworkOrder"/> received on <paramref name="interfaceIndex"/> is
    /// answered, by the same rules as <see cref="Lookup"/>: the host's own IPv4 addresses on that interface, and
    /// addresses routed out of another interface; allocation-free.
    /// </summary>
    public NeighborAnswer LookupV4(int interfaceIndex, uint targetNetworkOrder)
    {
        if (!IsProxying(interfaceIndex)) return NeighborAnswer.None;
        if (Array.IndexOf(_ownV4[interfaceIndex], targetNetworkOrder) >= 0) return NeighborAnswer.Own;
        var route = _routes.LookupV4(targetNetworkOrder);
        return route >= 0 && (uint)route < (uint)_routeEgress.Length && _routeEgress[route] != interfaceIndex ? NeighborAnswer.Proxy : NeighborAnswer.None;
    }
}
