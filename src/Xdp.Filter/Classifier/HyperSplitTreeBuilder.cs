namespace Xdp.Filter.Classifier;

/// <summary>
/// One node of a HyperSplit tree: an inner node sends a key to <see cref="Child"/> when its value in dimension
/// <see cref="Field"/> is at most <see cref="Threshold"/>, else to <see cref="Child"/> + 1; a leaf (negative
/// <see cref="Field"/>) lists <c>~Field</c> candidate rules starting at <see cref="Child"/> in the leaf array.
/// 16 bytes: four nodes a cache line.
/// </summary>
internal struct SplitNode
{
    public ulong Threshold;
    public int Child;
    public int Field;

    public readonly bool IsLeaf => Field < 0;
}

/// <summary>
/// Builds a HyperSplit tree (Qi, Xu, Yang, Li: "Packet Classification Algorithms: From Theory to Practice",
/// INFOCOM 2009) over rule boxes. Each node splits its region in two along one dimension at one rule edge:
/// the dimension whose elementary segments carry the fewest rules on average, at the point where the summed
/// segment weight reaches half ("weighted segment balance"). A node stops splitting when its candidates fit a
/// leaf. Inside a region, rules after the first one that covers the whole region can never be the first match
/// and are dropped, and so is any rule an earlier rule covers there (checked once a node is down to
/// <see cref="RedundancyCheckLimit"/> candidates, as the check is quadratic); both shrink the leaves.
/// The tree's correctness does not depend on the split choices: a leaf keeps every rule that can match first
/// inside its region, in priority order, and the leaf scan checks every field.
/// </summary>
internal sealed class HyperSplitTreeBuilder
{
    /// <summary>Rule count under which the quadratic covered-by-an-earlier-rule check runs.</summary>
    private const int RedundancyCheckLimit = 128;

    private readonly ulong[] _lo;
    private readonly ulong[] _hi;
    private readonly int _dimensions;
    private readonly int _leafSize;
    private readonly int _maxDepth;
    private readonly List<SplitNode> _nodes = [];
    private readonly List<int> _leafRules = [];
    private readonly ulong[] _starts;
    private readonly ulong[] _ends;
    private readonly ulong[] _segmentStarts;
    private readonly long[] _segmentWeights;
    private readonly long _leafEntryBudget;
    private bool _overBudget;

    /// <param name="lo">Low corners, <see cref="RuleSpace.Stride"/> values per rule, rules in priority order.</param>
    /// <param name="hi">High corners, same layout.</param>
    /// <param name="leafEntryBudget">Build gives up (returns null) once the leaves hold more entries than this.</param>
    public HyperSplitTreeBuilder(ulong[] lo, ulong[] hi, int dimensions, int leafSize, int maxDepth, long leafEntryBudget = long.MaxValue)
    {
        _leafEntryBudget = leafEntryBudget;
        _lo = lo;
        _hi = hi;
        _dimensions = dimensions;
        _leafSize = leafSize;
        _maxDepth = maxDepth;
        var rules = lo.Length / RuleSpace.Stride;
        _starts = new ulong[rules];
        _ends = new ulong[rules];
        _segmentStarts = new ulong[2 * rules + 2];
        _segmentWeights = new long[2 * rules + 2];
    }

    public int Depth { get; private set; }

    public (SplitNode[] Nodes, int[] LeafRules)? Build(ulong[] universeLo, ulong[] universeHi)
    {
        var count = _lo.Length / RuleSpace.Stride;
        var rules = new int[count];
        for (var i = 0; i < count; i++) rules[i] = i;
        _nodes.Add(default);
        Build(0, rules, count, universeLo, universeHi, 0);
        return _overBudget ? null : ([.. _nodes], [.. _leafRules]);
    }

    private void Build(int slot, int[] rules, int count, ulong[] regionLo, ulong[] regionHi, int depth)
    {
        if (_overBudget) return;
        if (depth > Depth) Depth = depth;
        for (var i = 0; i < count; i++)
        {
            if (Covers(rules[i], regionLo, regionHi))
            {
                count = i + 1;
                break;
            }
        }
        if (count > _leafSize && count <= RedundancyCheckLimit) count = RemoveCovered(rules, count, regionLo, regionHi);
        if (count <= _leafSize || depth >= _maxDepth || !ChooseSplit(rules, count, regionLo, regionHi, out var dimension, out var threshold))
        {
            _nodes[slot] = new SplitNode { Child = _leafRules.Count, Field = ~count };
            for (var i = 0; i < count; i++) _leafRules.Add(rules[i]);
            _overBudget = _leafRules.Count > _leafEntryBudget;
            return;
        }

        var left = new int[count];
        var right = new int[count];
        int leftCount = 0, rightCount = 0;
        for (var i = 0; i < count; i++)
        {
            var offset = rules[i] * RuleSpace.Stride + dimension;
            if (Math.Max(_lo[offset], regionLo[dimension]) <= threshold) left[leftCount++] = rules[i];
            if (Math.Min(_hi[offset], regionHi[dimension]) > threshold) right[rightCount++] = rules[i];
        }

        var child = _nodes.Count;
        _nodes.Add(default);
        _nodes.Add(default);
        _nodes[slot] = new SplitNode { Threshold = threshold, Child = child, Field = dimension };

        var leftHi = (ulong[])regionHi.Clone();
        leftHi[dimension] = threshold;
        Build(child, left, leftCount, regionLo, leftHi, depth + 1);
        var rightLo = (ulong[])regionLo.Clone();
        rightLo[dimension] = threshold + 1;
        Build(child + 1, right, rightCount, rightLo, regionHi, depth + 1);
    }

    private bool Covers(int rule, ulong[] regionLo, ulong[] regionHi)
    {
        var offset = rule * RuleSpace.Stride;
        for (var d = 0; d < _dimensions; d++)
        {
            if (_lo[offset + d] > regionLo[d] || _hi[offset + d] < regionHi[d]) return false;
        }
        return true;
    }

    /// <summary>Drops every rule whose part inside the region lies within an earlier rule: it can never match first there.</summary>
    private int RemoveCovered(int[] rules, int count, ulong[] regionLo, ulong[] regionHi)
    {
        var kept = 0;
        for (var j = 0; j < count; j++)
        {
            var covered = false;
            for (var k = 0; k < kept && !covered; k++) covered = CoversWithin(rules[k], rules[j], regionLo, regionHi);
            if (!covered) rules[kept++] = rules[j];
        }
        return kept;
    }

    private bool CoversWithin(int outer, int inner, ulong[] regionLo, ulong[] regionHi)
    {
        int o = outer * RuleSpace.Stride, n = inner * RuleSpace.Stride;
        for (var d = 0; d < _dimensions; d++)
        {
            if (_lo[o + d] > Math.Max(_lo[n + d], regionLo[d]) || _hi[o + d] < Math.Min(_hi[n + d], regionHi[d])) return false;
        }
        return true;
    }

    private bool ChooseSplit(int[] rules, int count, ulong[] regionLo, ulong[] regionHi, out int bestDimension, out ulong bestThreshold)
    {
        bestDimension = -1;
        bestThreshold = 0;
        var bestAverage = double.MaxValue;
        var bestSegments = 0;
        for (var d = 0; d < _dimensions; d++)
        {
            ulong low = regionLo[d], high = regionHi[d];
            if (low == high) continue;
            int starts = 0, ends = 0;
            for (var i = 0; i < count; i++)
            {
                var offset = rules[i] * RuleSpace.Stride + d;
                _starts[starts++] = Math.Max(_lo[offset], low);
                var h = Math.Min(_hi[offset], high);
                if (h < high) _ends[ends++] = h + 1;
            }
            Array.Sort(_starts, 0, starts);
            Array.Sort(_ends, 0, ends);

            // Sweep the rule edges: each elementary segment starts at an edge and weighs the rules overlapping it.
            int segments = 0, si = 0, ei = 0;
            long active = 0, total = 0;
            var at = low;
            while (true)
            {
                while (si < starts && _starts[si] == at) { active++; si++; }
                while (ei < ends && _ends[ei] == at) { active--; ei++; }
                _segmentStarts[segments] = at;
                _segmentWeights[segments++] = active;
                total += active;
                if (si == starts && ei == ends) break;
                at = si == starts ? _ends[ei] : ei == ends ? _starts[si] : Math.Min(_starts[si], _ends[ei]);
            }
            if (segments < 2) continue;

            var average = (double)total / segments;
            if (average > bestAverage || (average == bestAverage && segments <= bestSegments)) continue;

            long sum = 0;
            var m = 0;
            for (; m < segments - 2; m++)
            {
                sum += _segmentWeights[m];
                if (2 * sum >= total) break;
            }
            bestAverage = average;
            bestSegments = segments;
            bestDimension = d;
            bestThreshold = _segmentStarts[m + 1] - 1;
        }
        return bestDimension >= 0;
    }
}
