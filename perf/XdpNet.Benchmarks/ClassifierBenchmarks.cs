using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Xdp.Filter.Classifier;

namespace XdpNet.Benchmarks;

/// <summary>
/// First-match classification of a fixed set of headers against the ClassBench seeds (acl1, fw1, ipc1) at 1k and
/// 10k rules: the linear scan (iptables' cost model) against the HyperSplit trees, per packet; and the build.
/// The ClassBench addresses are in-memory rule data only.
/// </summary>
[MemoryDiagnoser]
public class ClassifierBenchmarks
{
    private const int Headers = 4096;
    private List<FiveTupleRule> _rules = [];
    private LinearClassifier _linear = new([]);
    private HyperSplitClassifier _tree = HyperSplitClassifier.Build([]);
    private FiveTuple[] _headers = [];

    [Params("acl1", "fw1", "ipc1")]
    public string Seed { get; set; } = "acl1";

    [Params("1k", "10k")]
    public string Size { get; set; } = "1k";

    [GlobalSetup]
    public void Setup()
    {
        _rules = ClassBenchReader.ReadFile(Path.Combine(DataDirectory(), $"{Seed}_{Size}"));
        _linear = new LinearClassifier(_rules);
        _tree = HyperSplitClassifier.Build(_rules);
        // One header inside every rule plus edge and random headers, then a fixed random sample of them, so the
        // sample reaches rules all through the list rather than only the first few thousand.
        var all = ClassBenchTraceGenerator.Generate(_rules, _rules.Count + Headers, seed: 42);
        new Random(42).Shuffle(all);
        _headers = all[..Headers];
        var s = _tree.Statistics;
        Console.WriteLine($"// {Seed}_{Size}: {_rules.Count} rules; tree: {s.Trees} trees, {s.Nodes} nodes, {s.LeafEntries} leaf entries, depth {s.MaxDepth}, {s.MemoryBytes} bytes, built in {s.BuildTime.TotalMilliseconds:F1} ms");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Headers)]
    public int Linear()
    {
        var sum = 0;
        foreach (ref readonly var header in _headers.AsSpan()) sum += _linear.Classify(header);
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Headers)]
    public int HyperSplit()
    {
        var sum = 0;
        foreach (ref readonly var header in _headers.AsSpan()) sum += _tree.Classify(header);
        return sum;
    }

    /// <summary>Compiling the rule list into the trees (off the packet path); allocated bytes include scratch.</summary>
    [Benchmark]
    public HyperSplitClassifier Build() => HyperSplitClassifier.Build(_rules);

    private static string DataDirectory([CallerFilePath] string thisFile = "")
    {
        var dir = Path.GetDirectoryName(thisFile);
        while (dir is not null && !File.Exists(Path.Combine(dir, "XdpNet.sln"))) dir = Path.GetDirectoryName(dir);
        return Path.GetFullPath(Path.Combine(dir ?? throw new InvalidOperationException("repository root not found above " + thisFile), "..", "shared", "data", "classbench"));
    }
}
