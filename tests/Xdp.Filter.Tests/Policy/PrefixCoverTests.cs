using Xdp.Filter.Policy;

namespace Xdp.Filter.Tests.Policy;

/// <summary>Port ranges as masked prefixes: membership by longest prefix match equals membership in the ranges.</summary>
public class PrefixCoverTests
{
    private const int Width = 16;

    [Theory]
    [InlineData(0, 65535, 1)]
    [InlineData(80, 80, 1)]
    [InlineData(1024, 65535, 6)]
    [InlineData(8000, 8080, 5)]
    [InlineData(1, 65535, 2)]
    public void KnownRangesSplitIntoFewPrefixes(int first, int last, int maxEntries)
    {
        var entries = Cover([((uint)first, (uint)last, false)]);
        Assert.InRange(entries.Count, 1, maxEntries);
        AssertEquivalent(entries, [((uint)first, (uint)last, false)]);
    }

    [Fact]
    public void RandomRangesProperty()
    {
        var random = new Random(20261122);
        for (var trial = 0; trial < 300; trial++)
        {
            var a = random.Next(0, 65536);
            var b = random.Next(0, 65536);
            var range = ((uint)Math.Min(a, b), (uint)Math.Max(a, b), false);
            var entries = Cover([range]);
            // Disjoint aligned blocks need at most 2*(16-1) prefixes; nesting only lowers that.
            Assert.InRange(entries.Count, 1, 30);
            AssertEquivalent(entries, [range]);
        }
    }

    [Fact]
    public void RandomOverlappingAllowsAndDeniesProperty()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 100; trial++)
        {
            var intervals = new List<(uint, uint, bool)>();
            var count = random.Next(1, 8);
            for (var i = 0; i < count; i++)
            {
                var a = random.Next(0, 65536);
                var b = random.Next(0, 65536);
                if (random.Next(4) == 0) b = a; // single ports are common
                intervals.Add(((uint)Math.Min(a, b), (uint)Math.Max(a, b), random.Next(3) == 0));
            }
            AssertEquivalent(Cover(intervals), intervals);
        }
    }

    [Fact]
    public void SegmentsMergeAndPreferDeny()
    {
        var segments = PrefixCover.Segments([(10, 20, false), (21, 30, false), (15, 16, true)], Width);
        Assert.Equal(
            [new KeySegment(0, 9, 0), new KeySegment(10, 14, 1), new KeySegment(15, 16, 2), new KeySegment(17, 30, 1), new KeySegment(31, 65535, 0)],
            segments);
    }

    [Fact]
    public void OverlayFallsBackOutsideTheIdentitysOwnRules()
    {
        var any = PrefixCover.Segments([(0, 65535, false), (80, 80, true)], Width);
        var own = PrefixCover.Segments([(70, 90, false), (100, 100, true)], Width);
        var overlay = PrefixCover.Overlay(own, any, out var differs);
        Assert.True(differs); // 100 is denied for this identity, allowed for the rest
        Assert.Equal(
            [new KeySegment(0, 69, PrefixCover.Fallback), new KeySegment(70, 79, 1), new KeySegment(80, 80, 2), new KeySegment(81, 90, 1),
             new KeySegment(91, 99, PrefixCover.Fallback), new KeySegment(100, 100, 2), new KeySegment(101, 65535, PrefixCover.Fallback)],
            overlay);

        PrefixCover.Overlay(PrefixCover.Segments([(70, 90, false)], Width), any, out differs);
        Assert.False(differs); // its allow adds nothing to "allow all but 80"
    }

    private static List<PrefixEntry> Cover(List<(uint, uint, bool)> intervals)
    {
        var output = new List<PrefixEntry>();
        PrefixCover.Cover(PrefixCover.Segments(intervals, Width), Width, PrefixCover.NoRule, output);
        return output;
    }

    private static void AssertEquivalent(List<PrefixEntry> entries, List<(uint First, uint Last, bool Deny)> intervals)
    {
        for (uint port = 0; port <= 65535; port++)
        {
            var expected = PrefixCover.NoRule;
            foreach (var (first, last, deny) in intervals)
                if (port >= first && port <= last) expected = deny ? PrefixCover.DenyValue : expected == PrefixCover.DenyValue ? expected : PrefixCover.AllowValue;
            var best = -1;
            var actual = PrefixCover.NoRule;
            foreach (var entry in entries)
            {
                var mask = entry.Length == 0 ? 0u : (0xFFFFu << (Width - entry.Length)) & 0xFFFFu;
                if ((port & mask) == entry.Value && entry.Length > best)
                {
                    best = entry.Length;
                    actual = entry.Verdict;
                }
            }
            if (actual != expected) Assert.Fail($"port {port}: prefixes give {actual}, ranges {expected}");
        }
    }
}
