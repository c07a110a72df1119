using System.Numerics;
using System.Runtime.CompilerServices;

namespace Xdp.Filter.Policy;

/// <summary>One entry of a compiled map, for listing and tests (off the hot path).</summary>
/// <param name="Protocol">IP protocol, or null for every protocol (prefix shorter than 8 bits).</param>
/// <param name="Port">First port (or ICMP type) of the prefix; <paramref name="PortPrefixLength"/> 0..16 bits of it are significant.</param>
/// <param name="RemoteIdentity"><see cref="SecurityIdentity.Any"/> for the entries every peer falls back to.</param>
/// <param name="Verdict">Null for an entry of a named identity that sends the lookup on to the any-identity entries.</param>
public sealed record PolicyMapEntry(
    int Index,
    uint LocalIdentity,
    PolicyDirection Direction,
    uint RemoteIdentity,
    int KeyPrefixLength,
    byte? Protocol,
    ushort Port,
    int PortPrefixLength,
    PolicyVerdict? Verdict,
    bool IsDefault);

/// <summary>
/// The compiled policy: for each local endpoint and direction, (remote identity, protocol, destination port) to a
/// verdict. Built by <see cref="PolicyCompiler"/>; immutable, so a reload publishes a new map with one reference
/// swap. Lookups allocate nothing and cost the same whatever the number of rules.
/// <para>
/// Layout (Cilium's LPM policy map, <c>bpf/lib/policy.h</c>, in flat arrays): a slice per (local identity,
/// direction); in a slice, a group per remote identity that some rule names, plus one "any identity" group. A
/// group's entries are longest-prefix-match entries over a 24-bit key <c>protocol &lt;&lt; 16 | port</c>: prefix
/// length 0 is every protocol, 8 one protocol with every port, 24 one port, lengths between are port ranges split
/// into masked prefixes. Precedence (deny over allow, named identity over any identity, longer port prefix over
/// shorter) is resolved at compile time, so a lookup is at most two longest-prefix matches, as in Cilium:
/// (1) the remote identity's group, whose entries already combine its own rules with the any-identity rules and
/// which answers "fall back" (or misses) where only any-identity rules apply; (2) the slice's any-identity group;
/// (3) the slice's default entry. Each match probes only the prefix lengths its group uses, longest first (one
/// or two for exact ports and protocol wildcards; bounded by the 18 possible lengths whatever the rule count).
/// </para>
/// </summary>
public sealed class PolicyMap
{
    internal const int KeyBits = 24;
    private const uint KeyMask = (1u << KeyBits) - 1;
    private const ulong EmptyKey = ulong.MaxValue;
    private const ulong HashMultiplier = 0x9E37_79B9_7F4A_7C15UL; // Fibonacci hashing, as RouteTable

    /// <summary>Entry 0: the verdict for an endpoint index that has no slice (not a local endpoint): fail closed.</summary>
    public const int NoSliceEntry = 0;

    // Marks a named identity's entry that defers to the any-identity group; never returned.
    private const PolicyVerdict FallbackVerdict = (PolicyVerdict)0xFF;

    private static readonly uint[] Masks = BuildMasks();
    private static readonly EntrySlot EmptySlot = new() { Key = EmptyKey };

    // Per endpoint: slice index for ingress at 2*i, egress at 2*i+1; -1 without a slice.
    private readonly int[] _endpointSlices;
    private readonly Slice[] _slices;
    // Key and value side by side: a probe that hits costs one cache line, not one per array.
    private readonly GroupSlot[] _groupSlots;
    private readonly int _groupShift;
    private readonly uint[] _groupLengths;
    private readonly EntrySlot[] _entrySlots;
    private readonly int _entryShift;
    private readonly PolicyMapEntry[] _entries;

    private struct GroupSlot
    {
        public ulong Key;
        public int Group;
    }

    private struct EntrySlot
    {
        public ulong Key;
        public int Entry;
        public PolicyVerdict Verdict;
    }

    internal struct Slice
    {
        public int AnyGroup; // -1: no rule for "any identity"
        public int DefaultEntry;
        public PolicyVerdict DefaultVerdict;
    }

    internal PolicyMap(
        int[] endpointSlices,
        Slice[] slices,
        List<(int Slice, uint Identity, int Group)> groups,
        uint[] groupLengths,
        List<(int Group, uint Value, int Length, int Entry)> prefixes,
        PolicyMapEntry[] entries)
    {
        _endpointSlices = endpointSlices;
        _slices = slices;
        _groupLengths = groupLengths;
        _entries = entries;

        var capacity = Capacity(groups.Count);
        _groupShift = 64 - BitOperations.Log2((uint)capacity);
        _groupSlots = new GroupSlot[capacity];
        for (var i = 0; i < capacity; i++) _groupSlots[i].Key = EmptyKey;
        foreach (var (slice, identity, group) in groups)
        {
            var key = GroupKey(slice, identity);
            var at = (int)((key * HashMultiplier) >> _groupShift);
            while (_groupSlots[at].Key != EmptyKey) at = (at + 1) & (capacity - 1);
            _groupSlots[at] = new GroupSlot { Key = key, Group = group };
        }

        capacity = Capacity(prefixes.Count);
        _entryShift = 64 - BitOperations.Log2((uint)capacity);
        _entrySlots = new EntrySlot[capacity];
        for (var i = 0; i < capacity; i++) _entrySlots[i].Key = EmptyKey;
        foreach (var (group, value, length, entry) in prefixes)
        {
            var key = EntryKey(group, length, value);
            var at = (int)((key * HashMultiplier) >> _entryShift);
            while (_entrySlots[at].Key != EmptyKey) at = (at + 1) & (capacity - 1);
            _entrySlots[at] = new EntrySlot { Key = key, Entry = entry, Verdict = entries[entry].Verdict ?? FallbackVerdict };
        }
    }

    /// <summary>Number of endpoints (the index space of <see cref="Lookup"/>).</summary>
    public int EndpointCount => _endpointSlices.Length / 2;

    /// <summary>Number of entries, the length of the counter arrays.</summary>
    public int EntryCount => _entries.Length;

    /// <summary>Number of (local identity, direction) slices.</summary>
    public int SliceCount => _slices.Length;

    /// <summary>Every entry, for listing (<c>xdpnet policy</c>) and tests.</summary>
    public IReadOnlyList<PolicyMapEntry> Entries => _entries;

    /// <summary>
    /// The verdict for a packet of local endpoint <paramref name="endpoint"/> (its index in the endpoint list the
    /// identities were built from) in <paramref name="direction"/>, with the remote peer's identity (from
    /// <see cref="IdentityTable.LookupV4"/>/<see cref="IdentityTable.LookupV6(UInt128)"/> of the source address on
    /// ingress, the destination address on egress), the IP protocol number and the destination port in host byte
    /// order; for ICMPv4/ICMPv6 pass the ICMP type as the port; for protocols without ports pass 0.
    /// Allocation-free; an endpoint index without a slice gets <see cref="PolicyVerdict.DefaultDeny"/>, entry
    /// <see cref="NoSliceEntry"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public PolicyDecision Lookup(int endpoint, PolicyDirection direction, uint remoteIdentity, byte protocol, ushort port)
    {
        var endpointSlices = _endpointSlices;
        var index = endpoint * 2 + (int)direction;
        if ((uint)endpoint >= (uint)(endpointSlices.Length >> 1) || (uint)direction > 1)
            return new PolicyDecision(PolicyVerdict.DefaultDeny, NoSliceEntry);
        var slice = endpointSlices[index];
        if (slice < 0) return new PolicyDecision(PolicyVerdict.DefaultDeny, NoSliceEntry);
        ref readonly var s = ref _slices[slice];
        var key = ((uint)protocol << 16) | port;
        var group = FindGroup(slice, remoteIdentity);
        if (group >= 0)
        {
            ref readonly var hit = ref LongestMatch(group, key);
            if (hit.Key != EmptyKey && hit.Verdict != FallbackVerdict) return new PolicyDecision(hit.Verdict, hit.Entry);
        }
        if (s.AnyGroup >= 0)
        {
            ref readonly var hit = ref LongestMatch(s.AnyGroup, key);
            if (hit.Key != EmptyKey) return new PolicyDecision(hit.Verdict, hit.Entry);
        }
        return new PolicyDecision(s.DefaultVerdict, s.DefaultEntry);
    }

    /// <summary>The slot of the longest prefix of <paramref name="key"/> in the group, or an empty slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref readonly EntrySlot LongestMatch(int group, uint key)
    {
        var slots = _entrySlots;
        var mask = slots.Length - 1;
        var lengths = _groupLengths[group];
        while (lengths != 0)
        {
            var length = 31 - BitOperations.LeadingZeroCount(lengths);
            lengths &= ~(1u << length);
            var probe = EntryKey(group, length, key & Masks[length]);
            var at = (int)((probe * HashMultiplier) >> _entryShift);
            while (true)
            {
                ref readonly var slot = ref slots[at];
                if (slot.Key == probe) return ref slot;
                if (slot.Key == EmptyKey) break;
                at = (at + 1) & mask;
            }
        }
        return ref EmptySlot;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FindGroup(int slice, uint identity)
    {
        var slots = _groupSlots;
        var mask = slots.Length - 1;
        var key = GroupKey(slice, identity);
        var at = (int)((key * HashMultiplier) >> _groupShift);
        while (true)
        {
            ref readonly var slot = ref slots[at];
            if (slot.Key == key) return slot.Group;
            if (slot.Key == EmptyKey) return -1;
            at = (at + 1) & mask;
        }
    }

    /// <summary>Counters sized for this map; give each worker its own.</summary>
    public PolicyCounters CreateCounters() => new(_entries.Length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong GroupKey(int slice, uint identity) => ((ulong)(uint)slice << 32) | identity;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong EntryKey(int group, int length, uint maskedKey) => ((ulong)(uint)group << 32) | ((ulong)(uint)length << KeyBits) | maskedKey;

    internal static uint Mask(int length) => Masks[length];

    private static uint[] BuildMasks()
    {
        var masks = new uint[KeyBits + 1];
        for (var length = 1; length <= KeyBits; length++) masks[length] = KeyMask & ~((1u << (KeyBits - length)) - 1);
        return masks;
    }

    private static int Capacity(int count) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, count * 2));
}
