using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Filter.Classifier;

/// <summary>
/// A HyperSplit tree with three binary levels packed into each node (seven comparisons, eight children), so a
/// descent follows a third as many pointers: on 10k-rule sets the tree outgrows the first-level caches and each
/// pointer followed is a likely cache miss, while the comparisons inside a node are register work.
/// A binary leaf reached above the third level is padded: its slot always goes left (threshold = max) and every
/// child below it is that leaf.
/// </summary>
internal readonly struct PackedSplitTree
{
    private const int Slots = 7;

    private readonly PackedSplitNode[] _nodes;
    private readonly SplitNode[] _leaves;
    private readonly int _root;

    private PackedSplitTree(PackedSplitNode[] nodes, SplitNode[] leaves, int root, int firstRule)
    {
        _nodes = nodes;
        _leaves = leaves;
        _root = root;
        FirstRule = firstRule;
    }

    /// <summary>The highest-priority rule in this tree: once a better match is known the tree cannot win.</summary>
    public int FirstRule { get; }

    public int NodeCount => _nodes.Length;

    public int LeafCount => _leaves.Length;

    public static PackedSplitTree Pack(SplitNode[] binary, int firstRule)
    {
        var nodes = new List<PackedSplitNode>();
        var leaves = new List<SplitNode>();
        var leafIds = new Dictionary<int, int>();
        var root = PackAt(0);
        return new PackedSplitTree([.. nodes], [.. leaves], root, firstRule);

        // Returns the child encoding of binary node b: a packed node index, or ~leaf for a leaf.
        int PackAt(int b)
        {
            if (binary[b].IsLeaf)
            {
                if (!leafIds.TryGetValue(b, out var id))
                {
                    id = leaves.Count;
                    leaves.Add(binary[b]);
                    leafIds.Add(b, id);
                }
                return ~id;
            }
            var index = nodes.Count;
            nodes.Add(default);
            var node = default(PackedSplitNode);
            Fill(ref node, 0, b);
            nodes[index] = node;
            return index;
        }

        void Fill(ref PackedSplitNode node, int slot, int b)
        {
            if (slot >= Slots)
            {
                node.Children[slot - Slots] = PackAt(b);
                return;
            }
            if (binary[b].IsLeaf)
            {
                node.Thresholds[slot] = ulong.MaxValue;
                node.Fields[slot] = 0;
                Fill(ref node, 2 * slot + 1, b);
                Fill(ref node, 2 * slot + 2, b);
                return;
            }
            node.Thresholds[slot] = binary[b].Threshold;
            node.Fields[slot] = (byte)binary[b].Field;
            Fill(ref node, 2 * slot + 1, binary[b].Child);
            Fill(ref node, 2 * slot + 2, binary[b].Child + 1);
        }
    }

    /// <summary>The leaf <paramref name="key"/> falls in; <paramref name="visited"/> counts packed nodes read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SplitNode Descend(ref KeyVector key, ref int visited)
    {
        ref var first = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref var k = ref key[0];
        var child = _root;
        while (child >= 0)
        {
            visited++;
            ref var node = ref Unsafe.Add(ref first, child);
            ref var thresholds = ref node.Thresholds[0];
            ref var fields = ref node.Fields[0];
            // Implicit heap of seven slots: slot s has children 2s+1 and 2s+2; slots 7..14 are the node's children.
            var slot = Unsafe.Add(ref k, fields) > thresholds ? 2 : 1;
            slot = 2 * slot + (Unsafe.Add(ref k, Unsafe.Add(ref fields, slot)) > Unsafe.Add(ref thresholds, slot) ? 2 : 1);
            slot = 2 * slot + (Unsafe.Add(ref k, Unsafe.Add(ref fields, slot)) > Unsafe.Add(ref thresholds, slot) ? 2 : 1);
            child = Unsafe.Add(ref node.Children[0], slot - Slots);
        }
        return Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_leaves), ~child);
    }
}

/// <summary>Seven thresholds, their dimensions, and eight children (a packed node index, or ~leaf): 96 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PackedSplitNode
{
    public SevenThresholds Thresholds;
    public EightChildren Children;
    public SevenFields Fields;
}

[InlineArray(7)]
internal struct SevenThresholds
{
    private ulong _element;
}

[InlineArray(8)]
internal struct EightChildren
{
    private int _element;
}

[InlineArray(7)]
internal struct SevenFields
{
    private byte _element;
}
