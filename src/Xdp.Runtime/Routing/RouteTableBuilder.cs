using System.Net;
using System.Net.Sockets;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Routing;

/// <summary>Collects routes off the hot path; <see cref="Build"/> produces the immutable <see cref="RouteTable"/>.</summary>
public sealed class RouteTableBuilder
{
    private readonly Dictionary<(uint Prefix, int Length), int> _v4 = new();
    private readonly Dictionary<(UInt128 Prefix, int Length), int> _v6 = new();

    public int Count => _v4.Count + _v6.Count;

    /// <summary>
    /// Adds a route to <paramref name="targetIndex"/> (an index into the caller's target array, >= 0).
    /// A prefix added twice is refused, naming it: two routes for one prefix is a configuration error.
    /// </summary>
    public RouteTableBuilder Add(IPNetwork prefix, int targetIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(targetIndex);
        var baseAddress = prefix.BaseAddress ?? throw new ArgumentException("Route prefix has no base address", nameof(prefix));
        var length = prefix.PrefixLength;
        bool added;
        if (baseAddress.AddressFamily == AddressFamily.InterNetwork)
        {
            // IPNetwork already refuses host bits beyond the prefix; mask anyway so the key is canonical.
            var key = (NetworkOrder.AddressV4(baseAddress) & RouteTable.MaskV4(length), length);
            added = _v4.TryAdd(key, targetIndex);
        }
        else if (baseAddress.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var key = (NetworkOrder.AddressV6(baseAddress) & RouteTable.MaskV6(length), length);
            added = _v6.TryAdd(key, targetIndex);
        }
        else
        {
            throw new ArgumentException($"Route prefix {prefix} is neither IPv4 nor IPv6", nameof(prefix));
        }
        if (!added) throw new ArgumentException($"Duplicate route prefix {prefix}", nameof(prefix));
        return this;
    }

    public RouteTable Build() => new(_v4, _v6);
}
