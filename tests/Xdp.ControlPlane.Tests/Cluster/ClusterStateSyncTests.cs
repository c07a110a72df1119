using System.Collections.Concurrent;
using Xdp.ControlPlane.Cluster;
using Xdp.ControlPlane.Etcd;
using Xdp.ControlPlane.Tests.Support;
using static Xdp.ControlPlane.Tests.Cluster.ClusterTestSupport;

namespace Xdp.ControlPlane.Tests.Cluster;

public sealed class ClusterStateSyncTests
{
    private const string Sir = "2001:db8:5151::";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private const string PolicyText = """
        [{"endpointSelector":{"matchLabels":{"app":"web"}},"ingress":[{"fromEndpoints":[{"matchLabels":{"app":"client"}}]}]}]
        """;

    [EtcdFact]
    public async Task SnapshotLoadsEveryKindAndListsBadEntriesByKey()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        await client.PutAsync(Keys.Endpoint("web-1"), """{"addresses":["198.18.1.2","2001:db8:1::2"],"host":"node-a","interface":"veth1","labels":["app=web"]}""");
        await client.PutAsync(Keys.Mapping(Sir, "1:0:0:2"), """{"locator":"2001:db8:a::","checksumMode":"no-action"}""");
        await client.PutAsync(Keys.Fdb(100, "02:00:00:00:00:01"), """{"vtep":"198.18.0.2"}""");
        await client.PutAsync(Keys.Flood(100, "198.18.0.3"), "{}");
        await client.PutAsync(Keys.Policy("web"), PolicyText);
        await client.PutAsync(Keys.Host("node-a"), """{"vtep":"198.18.0.2","locators":["2001:db8:a::"]}""");
        await client.PutAsync(Keys.Mapping(Sir, "1:0:0:3"), """{"locator":"not-a-locator"}""");
        await client.PutAsync("/xdpnet/ila/2001:0db8:5151::/1:0:0:4", Mapping("2001:db8:a::"));
        await client.PutAsync(Keys.Fdb(100, "02:00:00:00:00:02"), """{"vtep":"198.18.0.2","vtepp":"x"}""");
        await client.PutAsync("/xdpnet/unknown/thing", "{}");
        await client.PutAsync("/other/endpoints/x", "outside the prefix");

        await using var sync = new ClusterStateSync(client);
        var state = await sync.StartAsync();

        Assert.Equal(await client.PutAsync("/other/later", "x") - 1, state.Revision);
        var web = state.Endpoints["web-1"];
        Assert.Equal(["198.18.1.2", "2001:db8:1::2"], web.Addresses);
        Assert.Equal(("node-a", "veth1"), (web.Host, web.Interface));
        Assert.Equal(["app=web"], web.Labels);
        Assert.Equal(new ClusterMapping(Sir, "1:0:0:2", "2001:db8:a::", "no-action"), Assert.Single(state.Mappings[Sir]).Value);
        Assert.Equal(1, state.MappingCount);
        Assert.Equal(new ClusterFdbEntry(100, "02:00:00:00:00:01", "198.18.0.2"), Assert.Single(state.Fdb[100]).Value);
        Assert.Equal(["198.18.0.3"], state.Flood[100]);
        Assert.Equal(PolicyText, state.Policies["web"].Text);
        Assert.Equal(["2001:db8:a::"], state.Hosts["node-a"].Locators);

        Assert.Equal(4, state.Rejected.Count);
        Assert.Contains("locator: 'not-a-locator' is not a locator", state.Rejected["/xdpnet/ila/2001:db8:5151::/1:0:0:3"], StringComparison.Ordinal);
        Assert.Contains("write it as '2001:db8:5151::'", state.Rejected["/xdpnet/ila/2001:0db8:5151::/1:0:0:4"], StringComparison.Ordinal);
        Assert.Contains("vtepp", state.Rejected["/xdpnet/vxlan/100/fdb/02:00:00:00:00:02"], StringComparison.Ordinal);
        Assert.Contains("unknown kind of key", state.Rejected["/xdpnet/unknown/thing"], StringComparison.Ordinal);
    }

    [EtcdFact]
    public async Task WatchAppliesEachChangeIncrementallyAndABadValueIsSkippedAndReported()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        await client.PutAsync(Keys.Mapping(Sir, "1:0:0:1"), Mapping("2001:db8:a::"));
        var log = new ConcurrentQueue<string>();
        await using var sync = new ClusterStateSync(client, new ClusterStateSyncOptions { Log = log.Enqueue });
        var before = await sync.StartAsync();
        var seen = new ConcurrentQueue<(ClusterState State, IReadOnlyList<ClusterChange> Changes)>();
        sync.Changed += (state, changes) => seen.Enqueue((state, changes));

        string key = Keys.Mapping(Sir, "1:0:0:2");
        long put = await client.PutAsync(key, Mapping("2001:db8:a::"));
        long moved = await client.PutAsync(key, Mapping("2001:db8:b::"));
        long bad = await client.PutAsync(key, """{"locator":"2001:db8:b::","checksumMode":"sometimes"}""");

        // The state once the bad value is applied holds no entry for the key and lists it as rejected.
        await WaitUntil(() => sync.Current.Revision >= bad, Wait, () => $"revision {sync.Current.Revision}");
        var afterBad = sync.Current;
        Assert.False(afterBad.Mappings[Sir].ContainsKey("1:0:0:2"));
        Assert.True(afterBad.Rejected.ContainsKey(key));
        Assert.Equal(1, afterBad.MappingCount);
        long fixedRevision = await client.PutAsync(key, Mapping("2001:db8:c::"));
        long deleted = (await client.DeleteAsync(key)).Revision;
        long flood = (await client.TxnAsync(new EtcdTxn().ThenPut(Keys.Flood(7, "198.18.0.9"), "{}").ThenPut(Keys.Flood(7, "198.18.0.10"), "{}"))).Revision;

        await WaitUntil(() => sync.Current.Revision >= flood, Wait, () => $"revision {sync.Current.Revision}");
        var changes = seen.SelectMany(s => s.Changes).ToList();
        Assert.Equal(
            [
                $"put {key}@{put}", $"put {key}@{moved}",
                $"rejected {key}@{bad}: checksumMode: 'sometimes' is not one of neutral-map, neutral-map-auto, adjust-transport, no-action",
                $"put {key}@{fixedRevision}", $"delete {key}@{deleted}",
                $"put {Keys.Flood(7, "198.18.0.9")}@{flood}", $"put {Keys.Flood(7, "198.18.0.10")}@{flood}",
            ],
            changes.Select(c => c.ToString()));
        Assert.Null(changes[0].Previous);
        Assert.Equal("2001:db8:a::", ((ClusterMapping)changes[1].Previous!).Locator);
        Assert.Equal("2001:db8:b::", ((ClusterMapping)changes[1].Current!).Locator);
        Assert.Equal("2001:db8:b::", ((ClusterMapping)changes[2].Previous!).Locator);
        Assert.Null(changes[3].Previous);
        Assert.Equal("2001:db8:c::", ((ClusterMapping)changes[4].Previous!).Locator);
        Assert.Contains(log, line => line.Contains(key, StringComparison.Ordinal) && line.Contains("sometimes", StringComparison.Ordinal));

        var final = sync.Current;
        Assert.Empty(final.Rejected);
        Assert.Equal(["1:0:0:1"], final.Mappings[Sir].Keys);
        Assert.Equal(2, final.Flood[7].Count);

        // Earlier snapshots are untouched (persistent collections), and the untouched SIR table is shared.
        Assert.Single(before.Mappings[Sir]);
        Assert.Empty(before.Flood);
        Assert.Equal(Render(await ClusterSnapshotReader.ReadAsync(client, new ClusterEntryParser(Keys))), Render(final));
    }

    [EtcdFact]
    public async Task AfterEtcdIsStoppedAndRestartedWhileAnotherClientWritesTheStateEqualsAFreshSnapshot()
    {
        // Three members: the sync talks to m0 only, the writer to m1 and m2, so writes go on while the sync is cut off.
        using var etcd = EtcdServer.Start(3);
        using var syncClient = etcd.CreateClient([etcd.ClientUrls[0]], requestTimeout: TimeSpan.FromSeconds(1));
        using var writer = etcd.CreateClient([etcd.ClientUrls[1], etcd.ClientUrls[2]], requestTimeout: TimeSpan.FromSeconds(15));
        await PutMappings(writer, Sir, 20, "2001:db8:a::");
        var changes = new ConcurrentQueue<ClusterChange>();
        await using var sync = new ClusterStateSync(syncClient, new ClusterStateSyncOptions { MaxBackoff = TimeSpan.FromSeconds(1) });
        await sync.StartAsync();
        sync.Changed += (_, c) => { foreach (var x in c) changes.Enqueue(x); };
        await WaitUntil(() => sync.IsConnected, Wait, () => "never connected");
        long before = await writer.PutAsync(Keys.Endpoint("a"), """{"addresses":["198.18.2.1"]}""");
        // Current moves before Changed is raised: wait for the event too, or it could be counted with the later ones.
        await WaitUntil(() => sync.Current.Revision >= before && changes.Any(c => c.Revision >= before), Wait, () => "first change not seen");
        int applied = changes.Count;

        etcd.Stop(0);
        await WaitUntil(() => !sync.IsConnected, Wait, () => "disconnect not noticed");
        await WaitForWritableCluster(writer);
        var kept = sync.Current;
        for (int i = 1; i <= 10; i++)
        {
            await writer.PutAsync(Keys.Mapping(Sir, Identifier(i)), Mapping("2001:db8:b::"));
        }

        await writer.DeletePrefixAsync(Keys.Mapping(Sir, Identifier(20)));
        await writer.PutAsync(Keys.Fdb(5, "02:00:00:00:00:05"), """{"vtep":"198.18.0.5"}""");
        long last = (await writer.DeleteAsync(Keys.Endpoint("a"))).Revision;
        await Task.Delay(500);
        Assert.Same(kept, sync.Current);

        etcd.Restart(0);
        await WaitUntil(() => sync.Current.Revision >= last, Wait, () => $"sync at {sync.Current.Revision}, writes up to {last}");
        Assert.True(sync.IsConnected);
        Assert.DoesNotContain(changes, c => c.Kind == ClusterChangeKind.FullResync);
        Assert.Equal(13, changes.Count - applied);
        var fresh = await ClusterSnapshotReader.ReadAsync(writer, new ClusterEntryParser(Keys));
        Assert.Equal(Render(fresh), Render(sync.Current));
        Assert.Equal(19, sync.Current.MappingCount);
        Assert.Equal("2001:db8:b::", sync.Current.Mappings[Sir][Identifier(10)].Locator);
    }

    [EtcdFact]
    public async Task WhenTheMissedHistoryWasCompactedTheSyncResynchronisesFromAFreshSnapshot()
    {
        using var etcd = EtcdServer.Start(3);
        using var syncClient = etcd.CreateClient([etcd.ClientUrls[0]], requestTimeout: TimeSpan.FromSeconds(1));
        using var writer = etcd.CreateClient([etcd.ClientUrls[1], etcd.ClientUrls[2]], requestTimeout: TimeSpan.FromSeconds(15));
        await PutMappings(writer, Sir, 5, "2001:db8:a::");
        var resyncs = new ConcurrentQueue<ClusterState>();
        await using var sync = new ClusterStateSync(syncClient, new ClusterStateSyncOptions { MaxBackoff = TimeSpan.FromSeconds(1) });
        await sync.StartAsync();
        sync.Changed += (state, c) =>
        {
            if (c.Any(x => x.Kind == ClusterChangeKind.FullResync))
            {
                Assert.Single(c);
                resyncs.Enqueue(state);
            }
        };
        await WaitUntil(() => sync.IsConnected, Wait, () => "never connected");

        etcd.Stop(0);
        await WaitUntil(() => !sync.IsConnected, Wait, () => "disconnect not noticed");
        await WaitForWritableCluster(writer);
        await PutMappings(writer, Sir, 8, "2001:db8:c::");
        await writer.DeleteAsync(Keys.Mapping(Sir, Identifier(1)));
        long last = await writer.PutAsync(Keys.Policy("p"), PolicyText);
        await writer.CompactAsync(last);

        etcd.Restart(0);
        await WaitUntil(() => !resyncs.IsEmpty && sync.Current.Revision >= last, Wait, () => $"no resync (sync at {sync.Current.Revision})");
        var resynced = Assert.Single(resyncs);
        Assert.Equal(last, resynced.Revision);
        Assert.Equal(Render(await ClusterSnapshotReader.ReadAsync(writer, new ClusterEntryParser(Keys))), Render(sync.Current));
        Assert.Equal(7, sync.Current.MappingCount);

        // The watch continues after the resync.
        long after = await writer.PutAsync(Keys.Mapping(Sir, Identifier(1)), Mapping("2001:db8:d::"));
        await WaitUntil(() => sync.Current.Revision >= after, Wait, () => "no change after the resync");
        Assert.Equal("2001:db8:d::", sync.Current.Mappings[Sir][Identifier(1)].Locator);
    }

    [EtcdFact]
    public async Task APagedSnapshotHoldsExactlyTheKeysOfOneRevisionWhileOthersWrite()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        using var writer = etcd.CreateClient();
        await PutMappings(client, Sir, 300, "2001:db8:a::");
        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int written = 0;
        var writes = Task.Run(async () =>
        {
            for (int i = 1000; !stop.IsCancellationRequested; i++)
            {
                if (i == 1010)
                {
                    started.SetResult();
                }

                await writer.PutAsync(Keys.Mapping(Sir, Identifier(i)), Mapping("2001:db8:b::"));
                await writer.PutAsync(Keys.Mapping(Sir, Identifier(i - 999)), Mapping("2001:db8:c::"));
                Interlocked.Increment(ref written);
            }
        });
        await started.Task;

        var parser = new ClusterEntryParser(Keys);
        ClusterState state;
        int writtenBefore = Volatile.Read(ref written);
        try
        {
            state = await ClusterSnapshotReader.ReadAsync(client, parser, pageSize: 7);
            Assert.True(Volatile.Read(ref written) > writtenBefore, "no write happened during the paged read");
        }
        finally
        {
            await stop.CancelAsync();
            await writes;
        }

        // The same revision read in one piece.
        var whole = await client.RangePrefixAsync(Keys.Prefix, state.Revision);
        Assert.True(whole.Kvs.Count > 300, $"{whole.Kvs.Count} keys");
        var editor = new ClusterStateEditor(ClusterState.Empty, parser);
        foreach (var kv in whole.Kvs)
        {
            editor.Put(kv.Key, kv.Value.Span, kv.ModRevision);
        }

        Assert.Equal(Render(editor.ToState(state.Revision)), Render(state));
        Assert.Equal(whole.Kvs.Count, state.MappingCount);
    }

    [EtcdFact]
    public async Task ADeadHostsEntriesExpireWithItsLeaseAndALostLeaseIsPublishedAgain()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        using var other = etcd.CreateClient();
        await using var sync = new ClusterStateSync(other);
        await sync.StartAsync();

        var host = new ClusterHost("node-a", "198.18.0.2", ["2001:db8:a::"]);
        var endpoint = new ClusterEndpoint("web-1", ["198.18.1.2"], "node-a", "veth1", ["app=web"]);
        await using var publisher = new HostPublisher(client, Keys, host, [endpoint], TimeSpan.FromSeconds(2));
        await publisher.StartAsync();
        await WaitUntil(() => sync.Current.Hosts.ContainsKey("node-a") && sync.Current.Endpoints.ContainsKey("web-1"), Wait, () => "not published");
        Assert.Equal(host with { Locators = sync.Current.Hosts["node-a"].Locators }, sync.Current.Hosts["node-a"]);
        Assert.Equal(["2001:db8:a::"], sync.Current.Hosts["node-a"].Locators);

        // Revoked behind its back (as when the lease expired while etcd was away): published again under a new lease.
        long first = publisher.LeaseId;
        await other.RevokeLeaseAsync(first);
        await WaitUntil(() => publisher.Publications == 2 && sync.Current.Hosts.ContainsKey("node-a"), Wait, () => "not published again");
        Assert.NotEqual(first, publisher.LeaseId);
        Assert.True(sync.Current.Endpoints.ContainsKey("web-1"));

        // The host dies: no more keep-alives. Its entries disappear once the TTL has run out, and stay there till then.
        await Task.Delay(3000);
        Assert.True(sync.Current.Hosts.ContainsKey("node-a"), "kept alive while the host lives");
        var died = System.Diagnostics.Stopwatch.StartNew();
        await publisher.AbandonAsync();
        await WaitUntil(() => sync.Current.Hosts.IsEmpty && sync.Current.Endpoints.IsEmpty, Wait, () => "entries did not expire");
        Assert.InRange(died.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
    }
}
