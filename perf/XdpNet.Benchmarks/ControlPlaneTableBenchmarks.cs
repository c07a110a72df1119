using System.Globalization;
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using Xdp.ControlPlane.Cluster;
using Xdp.Filter.Policy;
using Xdp.Ila;
using XdpNet.Host;

namespace XdpNet.Benchmarks;

/// <summary>
/// Issue 7's table costs for 1M ILA mappings: a full build of the table (what every etcd mapping change cost before
/// changes were applied in place, table only: the merge and validation of 1M configuration entries came on top), a
/// refill of a live table from a 1M-mapping cluster state (a resynchronisation), and one change in place (locator
/// only: one 8-byte store; mode too: the seqlock). Allocated bytes are the managed bytes each operation allocates;
/// GlobalSetup prints the table's arrays (its resident size) and the managed bytes it retains.
/// </summary>
[MemoryDiagnoser]
public class IlaTableRebuildBenchmarks
{
    private const int Changes = 1024;
    private IlaMappingTableBuilder _builder = new();
    private IlaMappingTable _table = IlaMappingTable.Empty;
    private ulong[] _keys = [];
    private ulong _flip;

    [Params(1_000_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(5);
        _builder = new IlaMappingTableBuilder();
        var keys = new List<ulong>(Entries);
        while (keys.Count < Entries)
        {
            var key = (ulong)random.NextInt64() | 1;
            if (_builder.TryAdd(new IlaIdentifier(key), new IlaMapping(0x2001_0db8_000a_0000UL, IlaChecksumMode.AdjustTransport), out _, out _)) keys.Add(key);
        }
        var before = GC.GetTotalMemory(forceFullCollection: true);
        _table = _builder.Build();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// ILA table of {Entries} mappings: {_table.Capacity} slots, arrays {_table.StorageBytes / 1048576.0:0.0} MiB, retained {(after - before) / 1048576.0:0.0} MiB managed"));
        _keys = new ulong[Changes];
        for (var i = 0; i < Changes; i++) _keys[i] = keys[random.Next(keys.Count)];
    }

    /// <summary>The whole table from its entries (the rebuild a change cost before).</summary>
    [Benchmark]
    public int BuildTable() => _builder.Build().Count;

    /// <summary>A live table refilled from all entries (a resynchronisation): new storage, one reference store.</summary>
    [Benchmark]
    public int ResetTable()
    {
        _table.Reset(_builder);
        return _table.Count;
    }

    /// <summary>One mapping's locator changed in place (an identifier moved host).</summary>
    [Benchmark(OperationsPerInvoke = Changes)]
    public bool MoveInPlace()
    {
        _flip ^= 0x1_0000;
        var changed = false;
        foreach (var key in _keys) changed |= _table.Set(key, new IlaMapping(0x2001_0db8_000a_0000UL ^ _flip, IlaChecksumMode.AdjustTransport));
        return changed;
    }

    /// <summary>One mapping's locator and checksum mode changed in place (the seqlock path).</summary>
    [Benchmark(OperationsPerInvoke = Changes)]
    public bool ChangeModeInPlace()
    {
        _flip ^= 0x1_0000;
        var mode = _flip == 0 ? IlaChecksumMode.AdjustTransport : IlaChecksumMode.NoAction;
        var changed = false;
        foreach (var key in _keys) changed |= _table.Set(key, new IlaMapping(0x2001_0db8_000a_0000UL ^ _flip, mode));
        return changed;
    }
}

/// <summary>
/// One etcd mapping change through xdpnet's in-process path with 1M mappings loaded: the sync's editor applies the
/// event to the persistent state (O(log n)), freezes it, and <see cref="ClusterIlaMappings.Apply"/> validates the
/// entry and writes the live table. What it excludes: etcd, HTTP and the watch's JSON. Compare with
/// <see cref="IlaTableRebuildBenchmarks.BuildTable"/>, which is only the table part of the former full rebuild.
/// </summary>
[MemoryDiagnoser]
public class ClusterMappingEventBenchmarks
{
    private const string Sir = "2001:db8:5151::";
    private readonly ClusterKeys _keys = new();
    private ClusterStateEditor _editor = null!;
    private ClusterIlaMappings _mappings = null!;
    private IlaMappingTable _table = IlaMappingTable.Empty;
    private byte[][] _values = [];
    private string[] _changeKeys = [];
    private long _revision;
    private int _next;

    [Params(1_000_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _editor = new ClusterStateEditor(ClusterState.Empty, new ClusterEntryParser(_keys));
        var value = Encoding.UTF8.GetBytes("{\"locator\":\"2001:db8:a::\"}");
        _revision = 1;
        for (var i = 1; i <= Entries; i++) _editor.Put(_keys.Mapping(Sir, Identifier(i)), value, _revision);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        _mappings = new ClusterIlaMappings(_ => { });
        _mappings.Load(_editor.ToState(_revision));
        _table = _mappings.TableFor(IlaPrefix.Parse(Sir), IlaChecksumMode.AdjustTransport, IlaPrefix.Parse("2001:db8:f::"), [], []);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// cluster state and live table of {_table.Count} mappings: table arrays {_table.StorageBytes / 1048576.0:0.0} MiB, retained {(after - before) / 1048576.0:0.0} MiB managed (the live table; the cluster state was built before)"));
        _values = [Encoding.UTF8.GetBytes("{\"locator\":\"2001:db8:b::\"}"), Encoding.UTF8.GetBytes("{\"locator\":\"2001:db8:c::\"}")];
        _changeKeys = new string[4096];
        var random = new Random(3);
        for (var i = 0; i < _changeKeys.Length; i++) _changeKeys[i] = _keys.Mapping(Sir, Identifier(1 + random.Next(Entries)));
    }

    /// <summary>One put event: editor, frozen state, validation and the in-place write.</summary>
    [Benchmark]
    public long OneMappingEvent()
    {
        var i = _next++;
        var change = _editor.Put(_changeKeys[i & 4095], _values[(i >> 12) & 1], ++_revision);
        _mappings.Apply(_editor.ToState(_revision), [change]);
        return _mappings.IncrementalUpdates;
    }

    /// <summary>A resynchronisation: every mapping of the state validated and the live table refilled.</summary>
    [Benchmark]
    public long FullResync()
    {
        _mappings.Load(_editor.ToState(++_revision));
        return _mappings.Rebuilds;
    }

    private static string Identifier(int i) => new IlaIdentifier((1UL << 48) | (uint)i).ToString();
}

/// <summary>
/// The policy map's compile for 100,000 entries (the endpoint's ingress: one fromCIDR /32 rule per entry on distinct
/// ports, as <see cref="PolicyBenchmarks"/>), which every endpoint or policy change in etcd still pays: the map is
/// recompiled from the merged configuration. GlobalSetup prints the entry count and the managed bytes the compiled
/// policy retains.
/// </summary>
[MemoryDiagnoser]
public class PolicyCompileBenchmarks
{
    private IReadOnlyList<PolicyRule> _rules = [];
    private List<PolicyEndpoint> _endpoints = [];

    [Params(100_000)]
    public int Rules { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var json = new StringBuilder("[{\"endpointSelector\":{\"matchLabels\":{\"app\":\"web\"}},\"ingress\":[");
        json.Append("{\"fromEndpoints\":[{\"matchLabels\":{\"app\":\"client\"}}],\"toPorts\":[{\"ports\":[{\"port\":\"80\",\"protocol\":\"TCP\"}]}]}");
        for (var i = 0; i < Rules; i++)
        {
            var peer = i < 65536
                ? string.Create(CultureInfo.InvariantCulture, $"198.19.{i >> 8}.{i & 0xFF}")
                : string.Create(CultureInfo.InvariantCulture, $"198.18.{64 + ((i - 65536) >> 8)}.{(i - 65536) & 0xFF}");
            json.Append(CultureInfo.InvariantCulture, $",{{\"fromCIDR\":[\"{peer}/32\"],\"toPorts\":[{{\"ports\":[{{\"port\":\"{1000 + (i % 60000)}\",\"protocol\":\"TCP\"}}]}}]}}");
        }
        json.Append("]}]");
        _rules = PolicyLoader.Parse(json.ToString(), "bench.json");
        _endpoints =
        [
            new(IPAddress.Parse("198.18.42.1"), new Dictionary<string, string> { ["app"] = "web" }),
            new(IPAddress.Parse("198.18.42.2"), new Dictionary<string, string> { ["app"] = "client" }, Local: false),
        ];
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var policy = PolicyCompiler.Compile(_rules, _endpoints, []);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// policy of {Rules} rules: {policy.Map.EntryCount} map entries, {policy.Map.SliceCount} slices, retained {(after - before) / 1048576.0:0.0} MiB managed"));
        GC.KeepAlive(policy);
    }

    [Benchmark]
    public int Compile() => PolicyCompiler.Compile(_rules, _endpoints, []).Map.EntryCount;
}
