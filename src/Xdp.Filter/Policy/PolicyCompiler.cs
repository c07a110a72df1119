using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace Xdp.Filter.Policy;

/// <summary>An identity table and the policy map compiled against it: the unit a reload publishes.</summary>
public sealed record CompiledPolicy(IdentityTable Identities, PolicyMap Map)
{
    /// <summary>Convenience off the hot path: the verdict for a remote address (tests, replay, tools).</summary>
    public PolicyDecision Evaluate(int endpoint, PolicyDirection direction, IPAddress remote, byte protocol, ushort port) =>
        Map.Lookup(endpoint, direction, Identities.Lookup(remote), protocol, port);
}

/// <summary>
/// Compiles Cilium rules into a <see cref="PolicyMap"/>, off the hot path.
/// <para>Semantics (docs.cilium.io, Security / Network Policy):</para>
/// <list type="bullet">
/// <item>A rule applies to the local endpoints its <c>endpointSelector</c> selects. An endpoint selected by a rule
/// with a non-empty ingress (egress) or ingressDeny (egressDeny) section is in default deny for that direction,
/// unless the rule's <c>enableDefaultDeny</c> says false for it; several rules: default deny if any rule asks for
/// it ("Policy Enforcement Modes", default mode; Rule.enableDefaultDeny in the API reference). Endpoints no rule
/// puts in default deny allow everything not denied.</item>
/// <item>Allows are a union; a matching deny rule wins over every allow ("Deny Policies": "Deny policies take
/// precedence over allow policies").</item>
/// <item>A peer rule naming no peer but with L4 applies to every peer; one with neither (<c>{}</c>) matches nothing,
/// so <c>ingress: [{}]</c> denies all ingress. Without <c>toPorts</c>/<c>icmps</c> a rule covers every protocol;
/// with them only the listed ports (ANY = TCP, UDP, SCTP) and ICMP types ("Layer 4 Policies": once an L4 rule is
/// given, ICMP is blocked unless allowed).</item>
/// <item>An empty endpoint selector in fromEndpoints/toEndpoints selects every identity, reserved ones included;
/// selectors are matched against identities' labels, so <c>reserved:host</c> / <c>reserved:world</c> select the
/// host / world (and <c>NotIn</c>/<c>DoesNotExist</c> match reserved identities, as in Cilium).</item>
/// <item>CIDR rules select the CIDR identities whose prefix lies inside the CIDR and outside its <c>except</c>
/// prefixes, never endpoints or the host (see <see cref="IdentityTable"/>). Entities: all, world (world and every
/// CIDR identity), cluster (every endpoint identity and the host), host.</item>
/// </list>
/// </summary>
public static class PolicyCompiler
{
    private const byte Sctp = 132;
    private const uint AllKeys = PolicyMapKeyMax;
    private const uint PolicyMapKeyMax = (1u << PolicyMap.KeyBits) - 1;

    /// <summary>Builds identities for <paramref name="endpoints"/> and compiles <paramref name="rules"/> against them.</summary>
    public static CompiledPolicy Compile(
        IReadOnlyList<PolicyRule> rules,
        IReadOnlyList<PolicyEndpoint> endpoints,
        IEnumerable<IPAddress> hostAddresses,
        IdentityAllocator? allocator = null)
    {
        var identities = IdentityTable.Build(endpoints, hostAddresses, rules, allocator);
        return new CompiledPolicy(identities, Compile(rules, identities));
    }

    /// <summary>Compiles <paramref name="rules"/> for the local endpoints of <paramref name="identities"/>.</summary>
    public static PolicyMap Compile(IReadOnlyList<PolicyRule> rules, IdentityTable identities)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(identities);
        var resolver = new PeerResolver(identities);

        var entries = new List<PolicyMapEntry> { new(PolicyMap.NoSliceEntry, SecurityIdentity.Any, PolicyDirection.Ingress, SecurityIdentity.Any, 0, null, 0, 0, PolicyVerdict.DefaultDeny, true) };
        var slices = new List<PolicyMap.Slice>();
        var groups = new List<(int Slice, uint Identity, int Group)>();
        var groupLengths = new List<uint>();
        var prefixes = new List<(int Group, uint Value, int Length, int Entry)>();

        var endpointSlices = new int[identities.Endpoints.Count * 2];
        Array.Fill(endpointSlices, -1);
        var sliceOfIdentity = new Dictionary<uint, int>();

        // Rules per local identity, found through the label index rather than by matching every rule against
        // every local label set; rule order is kept (it only matters for listing).
        var localIdentities = new HashSet<uint>();
        for (var e = 0; e < identities.Endpoints.Count; e++)
            if (identities.Endpoints[e].Local) localIdentities.Add(identities.EndpointIdentities[e]);
        var rulesOf = new Dictionary<uint, List<PolicyRule>>();
        foreach (var rule in rules)
            foreach (var selected in resolver.Select(rule.EndpointSelector))
            {
                if (!localIdentities.Contains(selected)) continue;
                if (!rulesOf.TryGetValue(selected, out var list)) rulesOf[selected] = list = new List<PolicyRule>();
                list.Add(rule);
            }
        var cover = new List<PrefixEntry>();

        for (var e = 0; e < identities.Endpoints.Count; e++)
        {
            if (!identities.Endpoints[e].Local) continue;
            var local = identities.EndpointIdentities[e];
            if (sliceOfIdentity.TryGetValue(local, out var existing))
            {
                endpointSlices[2 * e] = existing;
                endpointSlices[2 * e + 1] = existing + 1;
                continue;
            }
            if (!rulesOf.TryGetValue(local, out var selecting)) selecting = [];

            var first = slices.Count;
            sliceOfIdentity.Add(local, first);
            endpointSlices[2 * e] = first;
            endpointSlices[2 * e + 1] = first + 1;
            foreach (var direction in (ReadOnlySpan<PolicyDirection>)[PolicyDirection.Ingress, PolicyDirection.Egress])
            {
                var sliceIndex = slices.Count;
                var defaultDeny = false;
                foreach (var rule in selecting) defaultDeny |= rule.DefaultDeny(direction);
                var defaultVerdict = defaultDeny ? PolicyVerdict.DefaultDeny : PolicyVerdict.DefaultAllow;
                var defaultEntry = entries.Count;
                entries.Add(new PolicyMapEntry(defaultEntry, local, direction, SecurityIdentity.Any, 0, null, 0, 0, defaultVerdict, true));

                // Contributions: the any-identity ones, and per named identity the indices of the others.
                var anyIntervals = new List<(uint, uint, bool)>();
                var contributions = new List<List<(uint, uint, bool)>>();
                var byIdentity = new Dictionary<uint, List<int>>();
                foreach (var rule in selecting)
                {
                    Contribute(rule.Allows(direction), deny: false);
                    Contribute(rule.Denies(direction), deny: true);
                }

                void Contribute(IReadOnlyList<PolicyPeerRule> peers, bool deny)
                {
                    foreach (var peer in peers)
                    {
                        if (peer.MatchesNothing) continue;
                        var resolved = resolver.Resolve(peer);
                        if (resolved.Members.Length == 0 && !resolved.Any) continue;
                        var intervals = new List<(uint, uint, bool)>();
                        foreach (var (lo, hi) in resolver.Intervals(peer)) intervals.Add((lo, hi, deny));
                        if (resolved.Any)
                        {
                            anyIntervals.AddRange(intervals);
                            continue;
                        }
                        var index = contributions.Count;
                        contributions.Add(intervals);
                        foreach (var member in resolved.Members)
                        {
                            if (!byIdentity.TryGetValue(member, out var list)) byIdentity[member] = list = new List<int>();
                            list.Add(index);
                        }
                    }
                }

                var anySegments = PrefixCover.Segments(anyIntervals, PolicyMap.KeyBits);
                var anyGroup = -1;
                if (!(anySegments.Count == 1 && anySegments[0].Value == PrefixCover.NoRule))
                    anyGroup = AddGroup(sliceIndex, SecurityIdentity.Any, anySegments, PrefixCover.NoRule);

                // A named identity's group holds entries only where its own rules apply (there combined with the
                // any-identity rules); elsewhere the lookup falls back to the any-identity group, so generic port
                // rules are not copied into every identity's group.
                var named = new List<uint>(byIdentity.Keys);
                named.Sort();
                var own = new List<(uint, uint, bool)>();
                foreach (var identity in named)
                {
                    own.Clear();
                    foreach (var index in byIdentity[identity]) own.AddRange(contributions[index]);
                    var segments = PrefixCover.Overlay(PrefixCover.Segments(own, PolicyMap.KeyBits), anySegments, out var differs);
                    if (differs) AddGroup(sliceIndex, identity, segments, PrefixCover.Fallback);
                }
                slices.Add(new PolicyMap.Slice { AnyGroup = anyGroup, DefaultEntry = defaultEntry, DefaultVerdict = defaultVerdict });

                int AddGroup(int slice, uint identity, List<KeySegment> segments, byte miss)
                {
                    var group = groupLengths.Count;
                    cover.Clear();
                    PrefixCover.Cover(segments, PolicyMap.KeyBits, miss, cover);
                    uint lengths = 0;
                    foreach (var prefix in cover)
                    {
                        PolicyVerdict? verdict = prefix.Verdict switch
                        {
                            PrefixCover.AllowValue => PolicyVerdict.Allow,
                            PrefixCover.DenyValue => PolicyVerdict.Deny,
                            PrefixCover.NoRule => defaultVerdict,
                            _ => null,
                        };
                        var entry = entries.Count;
                        byte? protocol = prefix.Length >= 8 ? (byte)(prefix.Value >> 16) : null;
                        entries.Add(new PolicyMapEntry(entry, local, direction, identity, prefix.Length, protocol,
                            (ushort)(prefix.Value & 0xFFFF), Math.Max(0, prefix.Length - 8), verdict, prefix.Verdict == PrefixCover.NoRule));
                        prefixes.Add((group, prefix.Value, prefix.Length, entry));
                        lengths |= 1u << prefix.Length;
                    }
                    groupLengths.Add(lengths);
                    if (identity != SecurityIdentity.Any) groups.Add((slice, identity, group));
                    return group;
                }
            }
        }
        return new PolicyMap(endpointSlices, slices.ToArray(), groups, groupLengths.ToArray(), prefixes, entries.ToArray());
    }

    /// <summary>Resolves peers to identities and L4 to key intervals, caching both per peer rule.</summary>
    private sealed class PeerResolver
    {
        private readonly IdentityTable _table;
        private readonly IReadOnlyList<IdentityInfo> _identities;
        private readonly Dictionary<string, List<int>> _byLabel = new(StringComparer.Ordinal);
        private readonly Dictionary<LabelSelector, uint[]> _selectorCache = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<PolicyPeerRule, Resolved> _peerCache = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<PolicyPeerRule, List<(uint, uint)>> _intervalCache = new(ReferenceEqualityComparer.Instance);
        private readonly (UInt128 First, int Length, int Bits, uint Identity)[] _cidrs;

        public PeerResolver(IdentityTable table)
        {
            _table = table;
            _identities = table.Identities;
            for (var i = 0; i < _identities.Count; i++)
                foreach (var (key, value) in _identities[i].Labels.Labels)
                {
                    var label = key + "=" + value;
                    if (!_byLabel.TryGetValue(label, out var list)) _byLabel[label] = list = new List<int>();
                    list.Add(i);
                }
            var cidrs = new List<(UInt128, int, int, uint)>();
            foreach (var info in _identities)
                if (info.Cidr is { } cidr) cidrs.Add((Number(cidr.BaseAddress), cidr.PrefixLength, Bits(cidr), info.Id));
            cidrs.Sort((a, b) => a.Item3 != b.Item3 ? a.Item3.CompareTo(b.Item3) : a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1) : a.Item2.CompareTo(b.Item2));
            _cidrs = cidrs.ToArray();
        }

        public readonly record struct Resolved(bool Any, uint[] Members);

        public Resolved Resolve(PolicyPeerRule peer)
        {
            if (_peerCache.TryGetValue(peer, out var cached)) return cached;
            Resolved result;
            if (!peer.NamesPeers)
            {
                result = new Resolved(true, []);
            }
            else
            {
                var set = new HashSet<uint>();
                var all = false;
                foreach (var selector in peer.Endpoints) set.UnionWith(Select(selector));
                foreach (var cidr in peer.Cidrs) SelectCidr(cidr, set);
                foreach (var entity in peer.Entities)
                {
                    switch (entity)
                    {
                        case PolicyEntity.All:
                            all = true;
                            break;
                        case PolicyEntity.Host:
                            set.Add(SecurityIdentity.Host);
                            break;
                        case PolicyEntity.World:
                            set.Add(SecurityIdentity.World);
                            foreach (var info in _identities)
                                if (info.Kind == IdentityKind.Cidr) set.Add(info.Id);
                            break;
                        case PolicyEntity.Cluster:
                            set.Add(SecurityIdentity.Host);
                            foreach (var info in _identities)
                                if (info.Kind == IdentityKind.Endpoint) set.Add(info.Id);
                            break;
                    }
                }
                // Selecting every identity there is, is the any-identity key (smaller map, same verdicts).
                all |= set.Count == _identities.Count;
                var members = new uint[all ? 0 : set.Count];
                if (!all) set.CopyTo(members);
                result = new Resolved(all, members);
            }
            _peerCache.Add(peer, result);
            return result;
        }

        public uint[] Select(LabelSelector selector)
        {
            if (_selectorCache.TryGetValue(selector, out var cached)) return cached;
            var members = new List<uint>();
            if (selector.MatchLabels.Count > 0)
            {
                // Only identities carrying the first required label can match: scan that posting list.
                var (key, value) = selector.MatchLabels[0];
                if (_byLabel.TryGetValue(key + "=" + value, out var candidates))
                    foreach (var i in candidates)
                        if (selector.Matches(_identities[i].Labels)) members.Add(_identities[i].Id);
            }
            else
            {
                foreach (var info in _identities)
                    if (selector.Matches(info.Labels)) members.Add(info.Id);
            }
            var result = members.ToArray();
            _selectorCache.Add(selector, result);
            return result;
        }

        private void SelectCidr(CidrRule rule, HashSet<uint> set)
        {
            var bits = Bits(rule.Cidr);
            var first = Number(rule.Cidr.BaseAddress);
            var hostBits = bits - rule.Cidr.PrefixLength;
            // UInt128 shifts count modulo 128: a /0 needs its all-ones host part spelled out.
            var hostMask = hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
            var last = first | hostMask;
            // CIDR identities sorted by (family, start, length): those inside the rule's CIDR start in [first, last].
            int lo = 0, hi = _cidrs.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >> 1;
                var c = _cidrs[mid];
                if (c.Bits < bits || (c.Bits == bits && c.First < first)) lo = mid + 1;
                else hi = mid;
            }
            for (var i = lo; i < _cidrs.Length && _cidrs[i].Bits == bits && _cidrs[i].First <= last; i++)
            {
                var c = _cidrs[i];
                if (c.Length < rule.Cidr.PrefixLength) continue;
                var excluded = false;
                foreach (var except in rule.Except)
                    if (c.Length >= except.PrefixLength && except.Contains(_table[c.Identity].Cidr!.Value.BaseAddress)) excluded = true;
                if (!excluded) set.Add(c.Identity);
            }
        }

        public List<(uint First, uint Last)> Intervals(PolicyPeerRule peer)
        {
            if (_intervalCache.TryGetValue(peer, out var cached)) return cached;
            var intervals = new List<(uint, uint)>();
            if (!peer.HasL4)
            {
                intervals.Add((0, AllKeys));
            }
            else
            {
                foreach (var port in peer.Ports)
                {
                    switch (port.Protocol)
                    {
                        case L4Protocol.Any:
                            Add(intervals, 6, port.First, port.Last);
                            Add(intervals, 17, port.First, port.Last);
                            Add(intervals, Sctp, port.First, port.Last);
                            break;
                        case L4Protocol.Tcp: Add(intervals, 6, port.First, port.Last); break;
                        case L4Protocol.Udp: Add(intervals, 17, port.First, port.Last); break;
                        case L4Protocol.Sctp: Add(intervals, Sctp, port.First, port.Last); break;
                        case L4Protocol.Icmp: Add(intervals, 1, 0, ushort.MaxValue); break;
                        case L4Protocol.IcmpV6: Add(intervals, 58, 0, ushort.MaxValue); break;
                    }
                }
                foreach (var icmp in peer.Icmps)
                    Add(intervals, icmp.Family == IcmpFamily.IPv4 ? (byte)1 : (byte)58, icmp.Type, icmp.Type);
            }
            _intervalCache.Add(peer, intervals);
            return intervals;
        }

        private static void Add(List<(uint, uint)> intervals, byte protocol, ushort first, ushort last) =>
            intervals.Add((((uint)protocol << 16) | first, ((uint)protocol << 16) | last));

        private static int Bits(IPNetwork network) => network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;

        private static UInt128 Number(IPAddress address)
        {
            var bytes = address.GetAddressBytes();
            UInt128 value = 0;
            foreach (var b in bytes) value = (value << 8) | b;
            return value;
        }
    }
}
