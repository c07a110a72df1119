using System.Text;
using Xdp.ControlPlane.Cluster;
using Xdp.Ila;
using XdpNet.Configuration;
using XdpNet.Host;

namespace XdpNet.IntegrationTests.ControlPlane;

/// <summary>
/// The live ILA tables of etcd mode (<see cref="ClusterIlaMappings"/>) with states made by the sync's own editor: a
/// mapping change is written in place (no rebuild), the file and local layers keep their precedence, a reload keeps the
/// live table and cannot undo a change, and bad entries are refused one by one. No etcd or root needed.
/// </summary>
public sealed class ClusterIlaMappingsTests
{
    private const string Sir = "2001:db8:5151::";
    private static readonly ulong SirPrefix = IlaPrefix.Parse(Sir);
    private static readonly ulong Own = IlaPrefix.Parse("2001:db8:a::");
    private static readonly ulong B = IlaPrefix.Parse("2001:db8:b::");
    private static readonly ulong C = IlaPrefix.Parse("2001:db8:c::");

    private readonly ClusterKeys _keys = new();
    private readonly ClusterStateEditor _editor;
    private readonly List<string> _log = [];
    private long _revision = 1;

    public ClusterIlaMappingsTests() => _editor = new ClusterStateEditor(ClusterState.Empty, new ClusterEntryParser(_keys));

    [Fact]
    public void A_mapping_change_among_100k_is_applied_in_place_without_a_rebuild()
    {
        for (var i = 1; i <= 100_000; i++) _editor.Put(_keys.Mapping(Sir, Identifier(i)), Value("2001:db8:b::"), _revision);
        var mappings = new ClusterIlaMappings(_log.Add);
        mappings.Load(_editor.ToState(_revision));
        // adjust-transport: every identifier is usable (neutral-map refuses low 16 bits 0x0000 and 0xFFFF).
        var table = mappings.TableFor(SirPrefix, IlaChecksumMode.AdjustTransport, Own, [], []);
        Assert.Equal(100_000, table.Count);
        Assert.Equal(1, mappings.Rebuilds);

        var moved = Put(Identifier(4242), "2001:db8:c::");
        var removed = Delete(Identifier(77));
        var added = Put(Identifier(100_001), "2001:db8:c::");
        Assert.False(mappings.Apply(_editor.ToState(_revision), [moved, removed, added]), "mappings alone need no reload");

        Assert.Equal((3L, 1L, 0), (mappings.IncrementalUpdates, mappings.Rebuilds, table.Resizes));
        Assert.True(table.TryLookup(IlaIdentifier.Parse(Identifier(4242)), out var m));
        Assert.Equal(C, m.Locator);
        Assert.False(table.TryLookup(IlaIdentifier.Parse(Identifier(77)), out _));
        Assert.True(table.TryLookup(IlaIdentifier.Parse(Identifier(100_001)), out m));
        Assert.Equal(C, m.Locator);
        Assert.Equal(100_000, table.Count);
    }

    [Fact]
    public void The_file_wins_over_etcd_and_etcd_over_this_hosts_own_containers()
    {
        var mappings = new ClusterIlaMappings(_log.Add);
        mappings.Load(_editor.ToState(_revision));
        var fileId = IlaIdentifier.Parse("1:0:0:1").Value;
        var localId = IlaIdentifier.Parse("1:0:0:2").Value;
        var table = mappings.TableFor(SirPrefix, IlaChecksumMode.NeutralMap, Own,
            new() { [fileId] = new IlaMapping(B, IlaChecksumMode.NeutralMap) },
            new() { [localId] = new IlaMapping(Own, IlaChecksumMode.NeutralMap) });

        ClusterChange[] moved = [Put("1:0:0:1", "2001:db8:c::"), Put("1:0:0:2", "2001:db8:c::")];
        mappings.Apply(_editor.ToState(_revision), moved);
        Assert.Equal(B, Lookup(table, fileId));
        Assert.Equal(C, Lookup(table, localId)); // the container moved away: etcd's mapping wins over the stale route

        ClusterChange[] deleted = [Delete("1:0:0:1"), Delete("1:0:0:2")];
        mappings.Apply(_editor.ToState(_revision), deleted);
        Assert.Equal(B, Lookup(table, fileId));
        Assert.Equal(Own, Lookup(table, localId));
    }

    [Fact]
    public void A_reload_keeps_the_live_table_and_cannot_undo_a_change_or_replay_an_old_one()
    {
        var mappings = new ClusterIlaMappings(_log.Add);
        mappings.Load(_editor.ToState(_revision));
        var table = mappings.TableFor(SirPrefix, IlaChecksumMode.NeutralMap, Own, [], []);
        var id = IlaIdentifier.Parse("1:0:0:5").Value;

        var first = Put("1:0:0:5", "2001:db8:b::");
        var firstState = _editor.ToState(_revision);
        var second = Put("1:0:0:5", "2001:db8:c::");
        var secondState = _editor.ToState(_revision);
        mappings.Apply(secondState, [second]);
        // The older response reported late (the sync advanced its state first): it must not move the identifier back.
        mappings.Apply(firstState, [first]);
        Assert.Equal(C, Lookup(table, id));

        // A file reload (a file mapping added elsewhere) hands back the same table with the etcd change in it.
        var again = mappings.TableFor(SirPrefix, IlaChecksumMode.NeutralMap, Own,
            new() { [IlaIdentifier.Parse("1:0:0:9").Value] = new IlaMapping(B, IlaChecksumMode.NeutralMap) }, []);
        Assert.Same(table, again);
        Assert.Equal(C, Lookup(table, id));
        Assert.Equal(B, Lookup(table, IlaIdentifier.Parse("1:0:0:9").Value));
        Assert.Equal(1, mappings.Rebuilds);

        // The file mapping goes with the next reload; a changed domain mode builds afresh from the state.
        mappings.TableFor(SirPrefix, IlaChecksumMode.NeutralMap, Own, [], []);
        Assert.False(table.TryLookup(IlaIdentifier.Parse("1:0:0:9").Value, out _));
        var rebuilt = mappings.TableFor(SirPrefix, IlaChecksumMode.AdjustTransport, Own, [], []);
        Assert.NotSame(table, rebuilt);
        Assert.Equal(C, Lookup(rebuilt, id));
    }

    /// <summary>
    /// The watch thread applies 2 000 responses while the reload thread keeps handing out the table with a file mapping
    /// switched on and off: at the end the table holds exactly the last state's mappings (none lost to a reload, none
    /// replayed), and the two writers never met inside the table (it refuses a second concurrent writer).
    /// </summary>
    [Fact]
    public void Reloads_racing_watch_responses_lose_no_change()
    {
        var mappings = new ClusterIlaMappings(_log.Add);
        mappings.Load(_editor.ToState(_revision));
        var table = mappings.TableFor(SirPrefix, IlaChecksumMode.AdjustTransport, Own, [], []);
        var fileId = IlaIdentifier.Parse("2:0:0:1").Value;
        var responses = new List<(ClusterState State, ClusterChange[] Changes)>();
        var expected = new Dictionary<ulong, ulong>();
        for (var i = 0; i < 2_000; i++)
        {
            var id = 1 + i % 500;
            var locator = i % 3 == 0 ? "2001:db8:b::" : "2001:db8:c::";
            var change = i % 7 == 0 ? Delete(Identifier(id)) : Put(Identifier(id), locator);
            if (i % 7 == 0) expected.Remove(IlaIdentifier.Parse(Identifier(id)).Value);
            else expected[IlaIdentifier.Parse(Identifier(id)).Value] = IlaPrefix.Parse(locator);
            responses.Add((_editor.ToState(_revision), [change]));
        }

        var done = 0;
        var reloads = 0;
        var reloader = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                var file = Interlocked.Increment(ref reloads) % 2 == 0 ? new Dictionary<ulong, IlaMapping> { [fileId] = new IlaMapping(B, IlaChecksumMode.AdjustTransport) } : [];
                Assert.Same(table, mappings.TableFor(SirPrefix, IlaChecksumMode.AdjustTransport, Own, file, []));
            }
            mappings.TableFor(SirPrefix, IlaChecksumMode.AdjustTransport, Own, [], []);
        });
        reloader.Start();
        for (var i = 0; i < responses.Count; i++)
        {
            // Now and then, let the reloader catch up (the machine may be busy): the race must really happen.
            var seen = Volatile.Read(ref reloads);
            if (i % 200 == 0) SpinWait.SpinUntil(() => Volatile.Read(ref reloads) > seen, TimeSpan.FromSeconds(10));
            mappings.Apply(responses[i].State, responses[i].Changes);
        }
        Volatile.Write(ref done, 1);
        reloader.Join();

        Assert.True(reloads >= 10, $"{reloads} reloads");
        Assert.Equal(expected.Count, table.Count);
        foreach (var (id, locator) in expected) Assert.Equal(locator, Lookup(table, id));
        Assert.False(table.TryLookup(fileId, out _));
        Assert.Equal(1, mappings.Rebuilds);
    }

    [Fact]
    public void Bad_entries_are_refused_one_by_one_and_other_changes_ask_for_a_reload()
    {
        var mappings = new ClusterIlaMappings(_log.Add);
        mappings.Load(_editor.ToState(_revision));
        var table = mappings.TableFor(SirPrefix, IlaChecksumMode.NeutralMap, Own, [], []);

        // 0x0000 in the low 16 bits cannot round-trip a checksum-neutral mapping; the C-bit twin of a mapped identifier is refused.
        var changes = new[]
        {
            Put("1:0:0:0", "2001:db8:b::"),
            Put("0:0:0:7", "2001:db8:b::"),
            Put("1000:0:0:7", "2001:db8:b::", "neutral-map-auto"),
            Put("1:0:0:8", "2001:db8:b::", "adjust-transport"),
        };
        Assert.False(mappings.Apply(_editor.ToState(_revision), changes));
        Assert.Equal(2, mappings.Refused);
        Assert.Equal(2, table.Count);
        Assert.Contains(_log, l => l.Contains("2001:db8:5151::/1:0:0:0 refused", StringComparison.Ordinal));
        Assert.Contains(_log, l => l.Contains("1000:0:0:7 refused", StringComparison.Ordinal) && l.Contains("C-bit", StringComparison.Ordinal));

        // Twins resolve the same way whatever the order: the one without the C-bit is the one mapped.
        var twin = Delete("0:0:0:7");
        Assert.False(mappings.Apply(_editor.ToState(_revision), [twin]));
        Assert.True(table.TryLookup(IlaIdentifier.Parse("1000:0:0:7").Value, out _));

        _editor.Put(_keys.Endpoint("web"), Encoding.UTF8.GetBytes("""{"addresses":["2001:db8:5151::1:0:0:3"],"labels":[]}"""), ++_revision);
        var endpoint = new ClusterChange(ClusterChangeKind.Put, ClusterEntryKind.Endpoint, _keys.Endpoint("web"), _revision);
        Assert.True(mappings.Apply(_editor.ToState(_revision), [endpoint]));

        // A host's own key (published under its lease, gone when it expires) feeds no table: no reload.
        var host = _editor.Put(_keys.Host("n2"), Encoding.UTF8.GetBytes("""{"locators":["2001:db8:b::"]}"""), ++_revision);
        Assert.Equal(ClusterEntryKind.Host, host.Entry);
        Assert.False(mappings.Apply(_editor.ToState(_revision), [host]));
    }

    [Fact]
    public void An_endpoint_published_for_this_host_is_routed_out_of_its_interface()
    {
        _editor.Put(_keys.Endpoint("here"), Encoding.UTF8.GetBytes("""{"addresses":["2001:db8:5151::1:0:0:3","198.18.1.3"],"host":"n1","interface":"veth1","labels":[]}"""), _revision);
        _editor.Put(_keys.Endpoint("routed"), Encoding.UTF8.GetBytes("""{"addresses":["2001:db8:5151::1:0:0:4"],"host":"n1","interface":"veth1","labels":[]}"""), _revision);
        _editor.Put(_keys.Endpoint("there"), Encoding.UTF8.GetBytes("""{"addresses":["2001:db8:5151::1:0:0:5"],"host":"n2","interface":"veth1","labels":[]}"""), _revision);
        var config = new HostConfig
        {
            Node = new NodeConfig { Name = "n1" },
            Interfaces = [new InterfaceConfig { Name = "up", Role = "uplink" }, new InterfaceConfig { Name = "veth1", Role = "local" }],
            Routes = [new RouteConfig { Prefix = "2001:db8:5151::1:0:0:4/128", Interface = "veth1", NextHopMac = "02:00:00:00:00:04" }],
        };
        var merged = ClusterMerge.Merge(config, _editor.ToState(_revision), Path.Combine(Path.GetTempPath(), "xdpnet-merge-test-unused"));

        Assert.Contains(merged.Routes, r => Is(r, "2001:db8:5151::1:0:0:3/128") && r.Interface == "veth1" && r.Gateway is null && r.NextHopMac is null);
        Assert.Contains(merged.Routes, r => Is(r, "198.18.1.3/32") && r.Interface == "veth1");
        Assert.Single(merged.Routes, r => Is(r, "2001:db8:5151::1:0:0:4/128")); // the file's route stays as written
        Assert.DoesNotContain(merged.Routes, r => Is(r, "2001:db8:5151::1:0:0:5/128")); // another host's
        Assert.Equal(3, merged.Routes.Count);

        static bool Is(RouteConfig route, string prefix) => System.Net.IPNetwork.Parse(route.Prefix) == System.Net.IPNetwork.Parse(prefix);
        Assert.Empty(HostConfigValidator.Validate(merged));
    }

    private static string Identifier(int i) => new IlaIdentifier((1UL << 48) | (uint)i).ToString();

    private static ulong Lookup(IlaMappingTable table, ulong identifier)
    {
        Assert.True(table.TryLookup(identifier, out var mapping), $"{identifier:x} is mapped");
        return mapping.Locator;
    }

    private static byte[] Value(string locator, string? mode = null) => Encoding.UTF8.GetBytes(mode is null
        ? $$"""{"locator":"{{locator}}"}"""
        : $$"""{"locator":"{{locator}}","checksumMode":"{{mode}}"}""");

    private ClusterChange Put(string identifier, string locator, string? mode = null) =>
        _editor.Put(_keys.Mapping(Sir, identifier), Value(locator, mode), ++_revision);

    private ClusterChange Delete(string identifier) => _editor.Delete(_keys.Mapping(Sir, identifier), ++_revision);
}
