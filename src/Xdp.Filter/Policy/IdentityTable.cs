using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Xdp.Runtime.Routing;

namespace Xdp.Filter.Policy;

/// <summary>What an identity stands for.</summary>
public enum IdentityKind
{
    Reserved,
    Endpoint,
    Cidr,
}

/// <summary>One identity: its number, labels and, for a CIDR identity, its prefix.</summary>
public sealed record IdentityInfo(uint Id, IdentityKind Kind, LabelSet Labels, IPNetwork? Cidr);

/// <summary>
/// Immutable map from remote addresses to security identities, and the identity of every endpoint.
/// <para>
/// An LPM table (IPv4 and IPv6, <see cref="RouteTable"/>) holds each endpoint address (/32, /128) with its
/// label-set identity, each host address with <see cref="SecurityIdentity.Host"/>, and each CIDR written in the
/// policies (including <c>except</c> prefixes) with a CIDR identity; a miss is <see cref="SecurityIdentity.World"/>.
/// The longest match wins, so an address inside a policy CIDR gets the identity of the most specific known prefix,
/// and a CIDR rule selects every CIDR identity whose prefix lies inside it (see <see cref="PolicyCompiler"/>).
/// Endpoint and host addresses keep their own identities even inside a policy CIDR: as in Cilium, CIDR rules
/// describe peers outside the cluster and do not select endpoints or the host (docs.cilium.io, Layer 3 Policies,
/// IP/CIDR based: "used to describe the relationship to or from external services if the remote peer is not an
/// endpoint").
/// </para>
/// </summary>
public sealed class IdentityTable
{
    // LPM targets: an endpoint index (0 .. endpoints-1), or endpoints + identity for host and CIDR prefixes, so a
    // lookup needs no second table except for endpoints.
    private readonly RouteTable _lpm;
    private readonly uint[] _endpointIdentities;
    private readonly Dictionary<uint, IdentityInfo> _byId;
    private readonly int _endpointCount;

    private IdentityTable(IReadOnlyList<PolicyEndpoint> endpoints, uint[] endpointIdentities, List<IdentityInfo> identities, RouteTable lpm)
    {
        Endpoints = endpoints;
        EndpointIdentities = endpointIdentities;
        Identities = identities;
        _lpm = lpm;
        _endpointIdentities = endpointIdentities;
        _endpointCount = endpointIdentities.Length;
        _byId = new Dictionary<uint, IdentityInfo>(identities.Count);
        foreach (var info in identities) _byId.Add(info.Id, info);
    }

    /// <summary>The endpoints in the caller's order: index i here is endpoint index i of <see cref="PolicyMap.Lookup"/>.</summary>
    public IReadOnlyList<PolicyEndpoint> Endpoints { get; }

    /// <summary>Identity of endpoint i.</summary>
    public IReadOnlyList<uint> EndpointIdentities { get; }

    /// <summary>Every identity an address can map to: reserved, endpoint and CIDR identities.</summary>
    public IReadOnlyList<IdentityInfo> Identities { get; }

    public IdentityInfo this[uint identity] => _byId[identity];

    public bool TryGet(uint identity, out IdentityInfo info)
    {
        var found = _byId.TryGetValue(identity, out var value);
        info = value!;
        return found;
    }

    /// <summary>
    /// Builds the table. Endpoints with the same label set share an identity; CIDR identities come from every
    /// <c>fromCIDR</c>/<c>toCIDR</c>/<c>CIDRSet</c> prefix and <c>except</c> of <paramref name="rules"/>.
    /// Pass the same <paramref name="allocator"/> on every reload to keep identity numbers stable.
    /// </summary>
    /// <exception cref="ArgumentException">Two endpoints, or an endpoint and a host address, share an address.</exception>
    public static IdentityTable Build(
        IReadOnlyList<PolicyEndpoint> endpoints,
        IEnumerable<IPAddress> hostAddresses,
        IEnumerable<PolicyRule> rules,
        IdentityAllocator? allocator = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(hostAddresses);
        ArgumentNullException.ThrowIfNull(rules);
        allocator ??= new IdentityAllocator();

        var identities = new List<IdentityInfo>
        {
            new(SecurityIdentity.Host, IdentityKind.Reserved, ReservedLabels.Host, null),
            new(SecurityIdentity.World, IdentityKind.Reserved, ReservedLabels.World, null),
        };
        var seen = new HashSet<uint> { SecurityIdentity.Host, SecurityIdentity.World };
        var builder = new RouteTableBuilder();
        var owners = new Dictionary<IPAddress, string>();

        var endpointIdentities = new uint[endpoints.Count];
        for (var i = 0; i < endpoints.Count; i++)
        {
            var endpoint = endpoints[i];
            var labels = LabelSet.From(endpoint.Labels);
            var identity = allocator.ForLabels(labels);
            endpointIdentities[i] = identity;
            if (seen.Add(identity)) identities.Add(new IdentityInfo(identity, IdentityKind.Endpoint, labels, null));
            var address = Canonical(endpoint.Address);
            if (!owners.TryAdd(address, $"endpoint {i}"))
                throw new ArgumentException($"Address {address} of endpoint {i} is already {owners[address]}", nameof(endpoints));
            builder.Add(HostPrefix(address), i);
        }
        foreach (var host in hostAddresses)
        {
            var address = Canonical(host);
            if (owners.TryGetValue(address, out var owner))
            {
                if (owner == "a host address") continue;
                throw new ArgumentException($"Host address {address} is already {owner}", nameof(hostAddresses));
            }
            owners.Add(address, "a host address");
            builder.Add(HostPrefix(address), endpoints.Count + (int)SecurityIdentity.Host);
        }

        // CIDR identities in a deterministic order (first appearance) so a fresh allocator numbers them alike.
        var hostPrefixes = new HashSet<IPNetwork>();
        foreach (var address in owners.Keys) hostPrefixes.Add(HostPrefix(address));
        var cidrs = new List<IPNetwork>();
        var cidrSeen = new HashSet<IPNetwork>();
        foreach (var rule in rules)
            foreach (var direction in (ReadOnlySpan<PolicyDirection>)[PolicyDirection.Ingress, PolicyDirection.Egress])
            {
                Collect(rule.Allows(direction), cidrs, cidrSeen);
                Collect(rule.Denies(direction), cidrs, cidrSeen);
            }
        foreach (var cidr in cidrs)
        {
            var identity = allocator.ForCidr(cidr);
            identities.Add(new IdentityInfo(identity, IdentityKind.Cidr, ReservedLabels.World, cidr));
            // A /32 or /128 policy CIDR equal to an endpoint or host address: the address keeps its own identity,
            // the CIDR identity then covers no address (CIDR rules do not select endpoints).
            if (hostPrefixes.Contains(cidr)) continue;
            builder.Add(cidr, checked(endpoints.Count + (int)identity));
        }
        return new IdentityTable(endpoints, endpointIdentities, identities, builder.Build());
    }

    private static void Collect(IReadOnlyList<PolicyPeerRule> peers, List<IPNetwork> cidrs, HashSet<IPNetwork> seen)
    {
        foreach (var peer in peers)
            foreach (var cidr in peer.Cidrs)
            {
                if (seen.Add(cidr.Cidr)) cidrs.Add(cidr.Cidr);
                foreach (var except in cidr.Except)
                    if (seen.Add(except)) cidrs.Add(except);
            }
    }

    private static IPAddress Canonical(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException($"{address} is neither IPv4 nor IPv6", nameof(address));
        // A scope id (link-local zone) is no part of the address the data path sees.
        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;
    }

    private static IPNetwork HostPrefix(IPAddress address) => new(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Identity(int target)
    {
        if (target < 0) return SecurityIdentity.World;
        return target < _endpointCount ? _endpointIdentities[target] : (uint)(target - _endpointCount);
    }

    /// <summary>The identity of an IPv4 address (network order, as read from the header). Allocation-free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint LookupV4(uint addressNetworkOrder)
    {
        return Identity(_lpm.LookupV4(addressNetworkOrder));
    }

    /// <summary>The identity of an IPv6 address (network order). Allocation-free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint LookupV6(UInt128 addressNetworkOrder)
    {
        return Identity(_lpm.LookupV6(addressNetworkOrder));
    }

    /// <summary>
    /// The identity of an IPv4 address and, when it is an endpoint's address, that endpoint's index (else -1): one
    /// LPM lookup tells the stage both which local endpoint a packet belongs to and the peer's identity.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint LookupV4(uint addressNetworkOrder, out int endpoint)
    {
        var target = _lpm.LookupV4(addressNetworkOrder);
        // LPM targets below the endpoint count are endpoint indices (exact /32 entries).
        endpoint = (uint)target < (uint)_endpointCount ? target : -1;
        return Identity(target);
    }

    /// <summary>As <see cref="LookupV4(uint, out int)"/> for IPv6.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint LookupV6(UInt128 addressNetworkOrder, out int endpoint)
    {
        var target = _lpm.LookupV6(addressNetworkOrder);
        endpoint = (uint)target < (uint)_endpointCount ? target : -1;
        return Identity(target);
    }

    /// <summary>The identity of 16 IPv6 address bytes as on the wire.</summary>
    public uint LookupV6(ReadOnlySpan<byte> address)
    {
        return Identity(_lpm.LookupV6(address));
    }

    /// <summary>Convenience for tests and tools (allocates nothing per call beyond the address bytes on the stack).</summary>
    public uint Lookup(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily == AddressFamily.InterNetwork
            ? LookupV4(Xdp.Runtime.Wire.NetworkOrder.AddressV4(address))
            : LookupV6(Xdp.Runtime.Wire.NetworkOrder.AddressV6(address));
    }

    /// <summary>Index of the first endpoint with this address, or -1 (off the hot path).</summary>
    public int EndpointIndex(IPAddress address)
    {
        for (var i = 0; i < Endpoints.Count; i++)
            if (Endpoints[i].Address.Equals(address)) return i;
        return -1;
    }
}
