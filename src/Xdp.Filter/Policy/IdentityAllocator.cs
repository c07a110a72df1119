using System.Net;

namespace Xdp.Filter.Policy;

/// <summary>
/// Hands out identity numbers: one per distinct label set, one per CIDR. Keep one allocator across reloads so a
/// label set keeps its number (conntrack entries and counters stay meaningful); numbers are never reused while
/// the allocator lives. Not thread-safe: used by the control path only.
/// </summary>
public sealed class IdentityAllocator
{
    private readonly Dictionary<string, uint> _endpoints = new(StringComparer.Ordinal);
    private readonly Dictionary<IPNetwork, uint> _cidrs = new();
    private uint _nextEndpoint = SecurityIdentity.FirstEndpoint;
    private uint _nextCidr = SecurityIdentity.FirstCidr;

    public uint ForLabels(LabelSet labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (_endpoints.TryGetValue(labels.Canonical, out var identity)) return identity;
        if (_nextEndpoint >= SecurityIdentity.FirstCidr) throw new InvalidOperationException("Endpoint identity space exhausted");
        identity = _nextEndpoint++;
        _endpoints.Add(labels.Canonical, identity);
        return identity;
    }

    public uint ForCidr(IPNetwork cidr)
    {
        if (_cidrs.TryGetValue(cidr, out var identity)) return identity;
        if (_nextCidr == uint.MaxValue) throw new InvalidOperationException("CIDR identity space exhausted");
        identity = _nextCidr++;
        _cidrs.Add(cidr, identity);
        return identity;
    }
}
