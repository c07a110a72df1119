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

        var headers = ClassBenchTraceGenerator.Generate(rules, Math.Max(MinimumHeaders, 2 * rules.Count), seed: file.GetHashCode(StringComparison.Ordinal));
        var matchedRules = new HashSet<int>();
        var mismatches = 0;
        string? firstMismatch = null;
        foreach (var header in headers)
        {
            var expected = linear.Classify(header);
            var actual = tree.Classify(header);
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
