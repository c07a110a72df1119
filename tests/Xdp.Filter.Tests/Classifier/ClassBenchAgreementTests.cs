using System.Diagnostics;
using Xdp.Filter.Classifier;
using Xunit.Abstractions;

namespace Xdp.Filter.Tests.Classifier;

/// <summary>On every ClassBench seed at 1k and 10k rules, the tree picks the linear scan's first match for every header.</summary>
public class ClassBenchAgreementTests(ITestOutputHelper output)
{
    private const int MinimumHeaders = 20_000;

    [Theory]
    [InlineData("acl1_1k")]
    [InlineData("acl1_10k")]
    [InlineData("fw1_1k")]
    [InlineData("fw1_10k")]
    [InlineData("ipc1_1k")]
    [InlineData("ipc1_10k")]
    public void Tree_agrees_with_linear_first_match(string file)
    {
        var rules = ClassBenchReader.ReadFile(ClassBenchData.File(file));
        Assert.True(rules.Count > 800, $"{file}: only {rules.Count} rules read");
        var linear = new LinearClassifier(rules);
        var stopwatch = Stopwatch.StartNew();
        var tree = HyperSplitClassifier.Build(rules);
        stopwatch.Stop();
        var stats = tree.Statistics;
        output.WriteLine($"{file}: {rules.Count} rules, build {stopwatch.Elapsed.TotalMilliseconds:F0} ms, {stats.Trees} trees, {stats.Nodes} nodes, {stats.LeafEntries} leaf entries, depth {stats.MaxDepth}, {stats.MemoryBytes / 1024.0:F0} KiB");

        // Four trees whatever the budget, so the separated form is checked on every set too.
        var separated = HyperSplitClassifier.Build(rules, new HyperSplitOptions { Separation = HyperSplitSeparation.Always });
        var headers = ClassBenchTraceGenerator.Generate(rules, Math.Max(MinimumHeaders, 2 * rules.Count), seed: file.Length * 7919 + rules.Count);
        var matchedRules = new HashSet<int>();
        var mismatches = 0;
        string? firstMismatch = null;
        foreach (var header in headers)
        {
            var expected = linear.Classify(header);
            var actual = tree.Classify(header);
            if (actual == expected) actual = separated.Classify(header);
            if (expected >= 0) matchedRules.Add(expected);
            if (expected != actual)
            {
                mismatches++;
                firstMismatch ??= $"{header}: linear {expected}, tree {actual}";
            }
        }
        Assert.True(mismatches == 0, $"{file}: {mismatches} of {headers.Length} headers differ, first {firstMismatch}");
        // The headers must exercise the rule set, not only its catch-all last rule.
        Assert.True(matchedRules.Count > rules.Count / 2, $"{file}: headers hit only {matchedRules.Count} distinct rules of {rules.Count}");
        output.WriteLine($"{headers.Length} headers agree, {matchedRules.Count} distinct first matches");
    }

    /// <summary>
    /// The work per lookup (packed tree nodes visited plus leaf entries tested, counted by the classifier itself, so not
    /// machine dependent) stays small and grows far slower than the rule count: about 10x the rules from 1k to 10k.
    /// </summary>
    [Theory]
    [InlineData("acl1")]
    [InlineData("fw1")]
    [InlineData("ipc1")]
    public void Lookup_work_grows_far_slower_than_the_rule_count(string seed)
    {
        var (small, smallMax) = AverageWork(seed + "_1k");
        var (large, largeMax) = AverageWork(seed + "_10k");
        output.WriteLine($"{seed}: average work 1k {small:F1}, 10k {large:F1} (max {smallMax}, {largeMax})");
        Assert.True(large <= 64, $"{seed}_10k: {large:F1} nodes+entries per lookup");
        Assert.True(large < 3.5 * small, $"{seed}: work grew from {small:F1} to {large:F1}");
        Assert.True(largeMax <= 128, $"{seed}_10k: worst lookup {largeMax} nodes+entries");
    }

    private static (double Average, int Max) AverageWork(string file)
    {
        var rules = ClassBenchReader.ReadFile(ClassBenchData.File(file));
        var tree = HyperSplitClassifier.Build(rules);
        var headers = ClassBenchTraceGenerator.Generate(rules, 20_000, seed: 17);
        long total = 0;
        var max = 0;
        foreach (var header in headers)
        {
            var work = tree.MeasureWork(header);
            Assert.Equal(tree.Classify(header), work.Match);
            total += work.Nodes + work.Entries;
            max = Math.Max(max, work.Nodes + work.Entries);
        }
        return ((double)total / headers.Length, max);
    }

    [Fact]
    public void Small_leaves_still_agree()
    {
        // Leaf size 1 forces the deepest trees, where every split point decides the answer.
        var rules = ClassBenchReader.ReadFile(ClassBenchData.File("fw1_1k"));
        var linear = new LinearClassifier(rules);
        var tree = HyperSplitClassifier.Build(rules, new HyperSplitOptions { LeafSize = 1 });
        foreach (var header in ClassBenchTraceGenerator.Generate(rules, 20_000, seed: 5))
        {
            Assert.Equal(linear.Classify(header), tree.Classify(header));
        }
    }
}
