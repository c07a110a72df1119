using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Filter.Classifier;

/// <summary>
/// First-match classifier over ordered 5-tuple rules: per address family a few HyperSplit decision trees
/// (see <see cref="HyperSplitTreeBuilder"/>), each descended to a leaf of a few candidate rules scanned in order.
/// </summary>
/// <remarks>
/// Why this structure. A descent costs the tree's depth, which grows with the logarithm of the number of distinct
/// rule edges, and a leaf holds at most <see cref="HyperSplitOptions.LeafSize"/> candidates; so a lookup does a
/// bounded, near-constant amount of work (ClassBench 1k: binary depth 13-17, 10k: 17-19; three binary levels are
/// packed into each node, see <see cref="PackedSplitTree"/>). The alternatives the issue names were weighed, not
/// all built: bitmap intersection (Lakshman-Stiliadis) is simple but still linear in N (N/256 vector ANDs per
/// field: ~40 per field at 10k rules); RFC / cross-producting is flat but its tables are known to reach hundreds
/// of megabytes on 10k-rule firewall sets; HiCuts/HyperCuts cut into equal-size pieces and replicate wildcard
/// rules into every piece. HyperSplit splits at rule edges by weight, which replicates less, and the wide/narrow
/// separation below removes what is left: measured on fw1_10k, one tree held 1.7M binary nodes and 6M leaf
/// entries (213 MB); four separated trees hold 7k binary nodes and 22k leaf entries (under 1 MB), built in about
/// 0.1 s. Each extra tree is one more descent, so trees are used only where one tree would not fit the budget;
/// they are visited in order of their first rule and skipped once a better match is known, and a leaf scan stops
/// at the first candidate behind the best match.
/// Built once; nothing changes afterwards, so any number of threads may classify without synchronisation.
/// </remarks>
public sealed class HyperSplitClassifier : IFiveTupleClassifier
{
    private readonly FiveTupleRule[] _rules;
    private readonly PackedSplitTree[] _treesV4;
    private readonly LeafEntryV4[] _leavesV4;
    private readonly PackedSplitTree[] _treesV6;
    private readonly LeafEntryV6[] _leavesV6;

    private HyperSplitClassifier(FiveTupleRule[] rules, PackedSplitTree[] treesV4, LeafEntryV4[] leavesV4, PackedSplitTree[] treesV6, LeafEntryV6[] leavesV6, HyperSplitStatistics statistics)
    {
        _rules = rules;
        _treesV4 = treesV4;
        _leavesV4 = leavesV4;
        _treesV6 = treesV6;
        _leavesV6 = leavesV6;
        Statistics = statistics;
    }

    public IReadOnlyList<FiveTupleRule> Rules => _rules;

    public HyperSplitStatistics Statistics { get; }

    /// <summary>Compiles <paramref name="rules"/> (index = priority). Refuses a rule mixing address families.</summary>
    public static HyperSplitClassifier Build(IReadOnlyList<FiveTupleRule> rules, HyperSplitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        options ??= HyperSplitOptions.Default;
        options.Validate();
        var stopwatch = Stopwatch.StartNew();
        FiveTupleRule[] copy = [.. rules];
        for (var i = 0; i < copy.Length; i++) copy[i].Validate(i);

        var (treesV4, leafV4, depthV4) = BuildTrees(copy, isIPv6: false, options);
        var (treesV6, leafV6, depthV6) = BuildTrees(copy, isIPv6: true, options);
        var leavesV4 = new LeafEntryV4[leafV4.Length];
        for (var i = 0; i < leafV4.Length; i++) leavesV4[i] = LeafEntryV4.From(leafV4[i], copy[leafV4[i]]);
        var leavesV6 = new LeafEntryV6[leafV6.Length];
        for (var i = 0; i < leafV6.Length; i++) leavesV6[i] = LeafEntryV6.From(leafV6[i], copy[leafV6[i]]);

        long nodes = 0, leaves = 0;
        foreach (var tree in treesV4) (nodes, leaves) = (nodes + tree.NodeCount, leaves + tree.LeafCount);
        foreach (var tree in treesV6) (nodes, leaves) = (nodes + tree.NodeCount, leaves + tree.LeafCount);
        var statistics = new HyperSplitStatistics(
            Trees: treesV4.Length + treesV6.Length,
            Nodes: nodes,
            LeafEntries: leavesV4.Length + leavesV6.Length,
            MaxDepth: Math.Max(depthV4, depthV6),
            MemoryBytes: nodes * Unsafe.SizeOf<PackedSplitNode>() + leaves * Unsafe.SizeOf<SplitNode>()
                + (long)leavesV4.Length * Unsafe.SizeOf<LeafEntryV4>() + (long)leavesV6.Length * Unsafe.SizeOf<LeafEntryV6>(),
            BuildTime: stopwatch.Elapsed);
        return new HyperSplitClassifier(copy, treesV4, leavesV4, treesV6, leavesV6, statistics);
    }

    /// <summary>
    /// One family's rules in as few trees as fit a memory budget. Rules with a wide source prefix and rules with a
    /// wide destination prefix cross when they share a tree: every split on one field copies the other rule into
    /// both halves, which on firewall sets grows the leaves to millions of entries. So, as EffiCuts' separable
    /// trees (Vamanan, Voskuilen, Vijaykumar, SIGCOMM 2010), rules are grouped by which of their addresses are wide
    /// and each group gets its own tree; but each extra tree is one more descent per packet, so the build first
    /// tries one tree, then two (split on source or on destination width), each within
    /// <see cref="HyperSplitOptions.LeafEntriesPerRule"/>, and only then the four groups without a bound.
    /// Trees are ordered by their first rule. Leaf entries come back as indices into <paramref name="rules"/>.
    /// </summary>
    private static (PackedSplitTree[] Trees, int[] LeafRules, int Depth) BuildTrees(FiveTupleRule[] rules, bool isIPv6, HyperSplitOptions options)
    {
        var family = new List<int>();
        for (var i = 0; i < rules.Length; i++)
        {
            if (rules[i].IsIPv6 == isIPv6) family.Add(i);
        }
        if (family.Count == 0) return ([], [], 0);

        var budget = (long)options.LeafEntriesPerRule * family.Count + 1024;
        Func<FiveTupleRule, int>[] plans = options.Separation switch
        {
            HyperSplitSeparation.Never => [_ => 0],
            HyperSplitSeparation.Always => [FourGroups],
            _ => [_ => 0, r => IsWide(r.Source) ? 1 : 0, r => IsWide(r.Destination) ? 1 : 0, FourGroups],
        };
        for (var p = 0; p < plans.Length; p++)
        {
            var groups = new List<int>[4];
            for (var g = 0; g < groups.Length; g++) groups[g] = [];
            foreach (var i in family) groups[plans[p](rules[i])].Add(i);
            var built = BuildGroups(rules, groups, isIPv6, options, p == plans.Length - 1 ? long.MaxValue : budget);
            if (built is { } result) return result;
        }
        throw new UnreachableException("the last plan has no budget");

        static int FourGroups(FiveTupleRule r) => (IsWide(r.Source) ? 1 : 0) | (IsWide(r.Destination) ? 2 : 0);
    }

    /// <returns>Null when the groups' leaves together exceed <paramref name="budget"/> entries.</returns>
    private static (PackedSplitTree[] Trees, int[] LeafRules, int Depth)? BuildGroups(FiveTupleRule[] rules, List<int>[] groups, bool isIPv6, HyperSplitOptions options, long budget)
    {
        var trees = new List<PackedSplitTree>();
        var leafRules = new List<int>();
        var depth = 0;
        foreach (var group in groups)
        {
            if (group.Count == 0) continue;
            var lo = new ulong[group.Count * RuleSpace.Stride];
            var hi = new ulong[group.Count * RuleSpace.Stride];
            for (var i = 0; i < group.Count; i++) RuleSpace.WriteBox(rules[group[i]], lo, hi, i * RuleSpace.Stride);
            var universeLo = new ulong[RuleSpace.Stride];
            var universeHi = new ulong[RuleSpace.Stride];
            RuleSpace.WriteUniverse(isIPv6, universeLo, universeHi);

            var builder = new HyperSplitTreeBuilder(lo, hi, isIPv6 ? RuleSpace.IPv6Dimensions : RuleSpace.IPv4Dimensions,
                options.LeafSize, options.MaxDepth, budget == long.MaxValue ? budget : budget - leafRules.Count);
            if (builder.Build(universeLo, universeHi) is not var (nodes, groupLeafRules)) return null;
            for (var n = 0; n < nodes.Length; n++)
            {
                if (nodes[n].IsLeaf) nodes[n].Child += leafRules.Count;
            }
            foreach (var rule in groupLeafRules) leafRules.Add(group[rule]);
            trees.Add(PackedSplitTree.Pack(nodes, group[0]));
            depth = Math.Max(depth, builder.Depth);
        }
        trees.Sort((a, b) => a.FirstRule.CompareTo(b.FirstRule));
        return ([.. trees], [.. leafRules], depth);
    }

    /// <summary>EffiCuts' largeness: a prefix covering at least half the address bits' worth of space.</summary>
    private static bool IsWide(AddressPrefix prefix) => prefix.Length <= prefix.AddressBits / 2;

    public int Classify(in FiveTuple key)
    {
        Unsafe.SkipInit(out KeyVector vector);
        RuleSpace.WriteKey(key, ref vector);
        if (key.IsIPv6) return ClassifyIPv6(key, ref vector);

        uint source = (uint)key.Source, destination = (uint)key.Destination;
        uint sourcePort = key.SourcePort, destinationPort = key.DestinationPort, protocol = key.Protocol;
        int best = int.MaxValue, visited = 0;
        ref var leaves = ref MemoryMarshal.GetArrayDataReference(_leavesV4);
        foreach (var tree in _treesV4)
        {
            // Trees are ordered by their first rule: once that is behind the best match, no later tree can win.
            if (tree.FirstRule >= best) break;
            var leaf = tree.Descend(ref vector, ref visited);
            ref var entry = ref Unsafe.Add(ref leaves, leaf.Child);
            for (var remaining = ~leaf.Field; remaining > 0 && entry.Rule < best; remaining--, entry = ref Unsafe.Add(ref entry, 1))
            {
                if (source - entry.SourceLow <= entry.SourceSpan
                    && destination - entry.DestinationLow <= entry.DestinationSpan
                    && destinationPort - entry.DestinationPortLow <= entry.DestinationPortSpan
                    && sourcePort - entry.SourcePortLow <= entry.SourcePortSpan
                    && protocol - entry.ProtocolLow <= entry.ProtocolSpan)
                {
                    best = entry.Rule;
                    break;
                }
            }
        }
        return best == int.MaxValue ? -1 : best;
    }

    private int ClassifyIPv6(in FiveTuple key, ref KeyVector vector)
    {
        UInt128 source = key.Source, destination = key.Destination;
        uint sourcePort = key.SourcePort, destinationPort = key.DestinationPort, protocol = key.Protocol;
        int best = int.MaxValue, visited = 0;
        ref var leaves = ref MemoryMarshal.GetArrayDataReference(_leavesV6);
        foreach (var tree in _treesV6)
        {
            if (tree.FirstRule >= best) break;
            var leaf = tree.Descend(ref vector, ref visited);
            ref var entry = ref Unsafe.Add(ref leaves, leaf.Child);
            for (var remaining = ~leaf.Field; remaining > 0 && entry.Rule < best; remaining--, entry = ref Unsafe.Add(ref entry, 1))
            {
                if (destinationPort - entry.DestinationPortLow <= entry.DestinationPortSpan
                    && sourcePort - entry.SourcePortLow <= entry.SourcePortSpan
                    && protocol - entry.ProtocolLow <= entry.ProtocolSpan
                    && source - entry.SourceLow <= entry.SourceSpan
                    && destination - entry.DestinationLow <= entry.DestinationSpan)
                {
                    best = entry.Rule;
                    break;
                }
            }
        }
        return best == int.MaxValue ? -1 : best;
    }

    /// <summary>
    /// The work <see cref="Classify"/> does for <paramref name="key"/>, counted the same way: trees descended, nodes
    /// visited, leaf entries tested. A machine-independent figure for how the cost grows with the rule count.
    /// </summary>
    internal LookupWork MeasureWork(in FiveTuple key)
    {
        Unsafe.SkipInit(out KeyVector vector);
        RuleSpace.WriteKey(key, ref vector);
        var trees = key.IsIPv6 ? _treesV6 : _treesV4;
        int best = int.MaxValue, descents = 0, nodes = 0, entries = 0;
        foreach (var tree in trees)
        {
            if (tree.FirstRule >= best) break;
            descents++;
            var leaf = tree.Descend(ref vector, ref nodes);
            for (var e = leaf.Child; e < leaf.Child + ~leaf.Field; e++)
            {
                var rule = key.IsIPv6 ? _leavesV6[e].Rule : _leavesV4[e].Rule;
                if (rule >= best) break;
                entries++;
                if (_rules[rule].Matches(key))
                {
                    best = rule;
                    break;
                }
            }
        }
        return new LookupWork(descents, nodes, entries, best == int.MaxValue ? -1 : best);
    }

    internal readonly record struct LookupWork(int Trees, int Nodes, int Entries, int Match);

    /// <summary>An IPv4 candidate rule in a leaf, as (low, high - low) per field so each test is one subtract and compare.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct LeafEntryV4
    {
        public int Rule;
        public uint SourceLow;
        public uint SourceSpan;
        public uint DestinationLow;
        public uint DestinationSpan;
        public ushort SourcePortLow;
        public ushort SourcePortSpan;
        public ushort DestinationPortLow;
        public ushort DestinationPortSpan;
        public byte ProtocolLow;
        public byte ProtocolSpan;

        public static LeafEntryV4 From(int index, in FiveTupleRule rule)
        {
            var (protocolLow, protocolHigh) = rule.Protocol is { } p ? (p, p) : ((byte)0, byte.MaxValue);
            return new LeafEntryV4
            {
                Rule = index,
                SourceLow = (uint)rule.Source.First,
                SourceSpan = (uint)(rule.Source.Last - rule.Source.First),
                DestinationLow = (uint)rule.Destination.First,
                DestinationSpan = (uint)(rule.Destination.Last - rule.Destination.First),
                SourcePortLow = rule.SourcePorts.Low,
                SourcePortSpan = (ushort)(rule.SourcePorts.High - rule.SourcePorts.Low),
                DestinationPortLow = rule.DestinationPorts.Low,
                DestinationPortSpan = (ushort)(rule.DestinationPorts.High - rule.DestinationPorts.Low),
                ProtocolLow = protocolLow,
                ProtocolSpan = (byte)(protocolHigh - protocolLow),
            };
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct LeafEntryV6
    {
        public UInt128 SourceLow;
        public UInt128 SourceSpan;
        public UInt128 DestinationLow;
        public UInt128 DestinationSpan;
        public int Rule;
        public ushort SourcePortLow;
        public ushort SourcePortSpan;
        public ushort DestinationPortLow;
        public ushort DestinationPortSpan;
        public byte ProtocolLow;
        public byte ProtocolSpan;

        public static LeafEntryV6 From(int index, in FiveTupleRule rule)
        {
            var (protocolLow, protocolHigh) = rule.Protocol is { } p ? (p, p) : ((byte)0, byte.MaxValue);
            return new LeafEntryV6
            {
                Rule = index,
                SourceLow = rule.Source.First,
                SourceSpan = rule.Source.Last - rule.Source.First,
                DestinationLow = rule.Destination.First,
                DestinationSpan = rule.Destination.Last - rule.Destination.First,
                SourcePortLow = rule.SourcePorts.Low,
                SourcePortSpan = (ushort)(rule.SourcePorts.High - rule.SourcePorts.Low),
                DestinationPortLow = rule.DestinationPorts.Low,
                DestinationPortSpan = (ushort)(rule.DestinationPorts.High - rule.DestinationPorts.Low),
                ProtocolLow = protocolLow,
                ProtocolSpan = (byte)(protocolHigh - protocolLow),
            };
        }
    }
}

/// <summary>Build parameters of <see cref="HyperSplitClassifier"/>.</summary>
public sealed record HyperSplitOptions
{
    public static HyperSplitOptions Default { get; } = new();

    /// <summary>A node with at most this many candidate rules becomes a leaf scanned in order.</summary>
    public int LeafSize { get; init; } = 8;

    /// <summary>Depth at which a node becomes a leaf whatever its size (a bound on lookup cost and build recursion).</summary>
    public int MaxDepth { get; init; } = 96;

    /// <summary>When rules go into separate trees by the width of their addresses (see the class remarks).</summary>
    public HyperSplitSeparation Separation { get; init; } = HyperSplitSeparation.Adaptive;

    /// <summary>Leaf entries per rule (plus 1024) a plan with fewer trees may use before the build tries more trees.</summary>
    public int LeafEntriesPerRule { get; init; } = 8;

    internal void Validate()
    {
        if (LeafSize < 1) throw new ArgumentOutOfRangeException(nameof(LeafSize), LeafSize, "LeafSize must be at least 1");
        if (LeafEntriesPerRule < 1) throw new ArgumentOutOfRangeException(nameof(LeafEntriesPerRule), LeafEntriesPerRule, "LeafEntriesPerRule must be at least 1");
        if (MaxDepth is < 1 or > 512) throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "MaxDepth must be 1..512");
    }
}

/// <summary>How <see cref="HyperSplitClassifier"/> splits rules into trees by the width of their addresses.</summary>
public enum HyperSplitSeparation
{
    /// <summary>As few trees as fit the leaf-entry budget: one, else two, else four.</summary>
    Adaptive,

    /// <summary>One tree per family whatever its size.</summary>
    Never,

    /// <summary>Up to four trees per family (wide/narrow source x wide/narrow destination).</summary>
    Always,
}

/// <summary>
/// Size of a built <see cref="HyperSplitClassifier"/>, both families together: trees, packed nodes (three binary
/// levels each), leaf entries, the deepest binary level, and the bytes of nodes, leaves and entries.
/// </summary>
public readonly record struct HyperSplitStatistics(int Trees, long Nodes, int LeafEntries, int MaxDepth, long MemoryBytes, TimeSpan BuildTime);
