using Xdp.ControlPlane.Etcd;
using Xdp.ControlPlane.Tests.Support;

namespace Xdp.ControlPlane.Tests.Etcd;

public sealed class EtcdWatchTests
{
    [EtcdFact]
    public async Task WatchFromARevisionSeesPutsAndDeletesInOrder()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        await client.PutAsync("/other", "not watched");
        long start = await client.PutAsync("/ep/a", "1");
        await client.PutAsync("/ep/b", "2");
        await client.PutAsync("/ep/a", "3");
        await client.DeleteAsync("/ep/b");
        await client.TxnAsync(new EtcdTxn().ThenPut("/ep/c", "4").ThenPut("/ep/d", "5"));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = new List<EtcdWatchEvent>();
        var responses = new List<EtcdWatchResponse>();
        await foreach (var response in client.WatchPrefixAsync("/ep/", start, prevKv: true, cancellationToken: timeout.Token))
        {
            responses.Add(response);
            events.AddRange(response.Events);
            if (events.Count == 6)
            {
                break;
            }
        }

        Assert.True(responses[0].IsCreated);
        Assert.Empty(responses[0].Events);
        Assert.Equal(start, responses[0].NextRevision);
        Assert.Equal(
            ["PUT /ep/a 1", "PUT /ep/b 2", "PUT /ep/a 3", "DELETE /ep/b ", "PUT /ep/c 4", "PUT /ep/d 5"],
            events.Select(e => $"{e.Type.ToString().ToUpperInvariant()} {e.Kv.Key} {e.Kv.ValueAsString()}"));
        Assert.Equal([start, start + 1, start + 2, start + 3, start + 4, start + 4], events.Select(e => e.Kv.ModRevision));
        Assert.Null(events[0].PrevKv);
        Assert.Equal("1", events[2].PrevKv?.ValueAsString());
        Assert.Equal("2", events[3].PrevKv?.ValueAsString());
        Assert.Equal(start + 5, responses[^1].NextRevision);
    }

    [EtcdFact]
    public async Task WatchFromNowSeesLaterChangesAndProgressNotifications()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        long before = await client.PutAsync("/ep/old", "x");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var watch = client.WatchPrefixAsync("/ep/", progressNotify: true, cancellationToken: timeout.Token).GetAsyncEnumerator();
        Assert.True(await watch.MoveNextAsync());
        Assert.True(watch.Current.IsCreated);
        Assert.Equal(before, watch.Current.Revision);
        Assert.Equal(before + 1, watch.Current.NextRevision);

        // The fixture's etcd sends progress notifications every second while nothing changes.
        // A change outside the prefix advances the revision a progress notification reports.
        await client.PutAsync("/unwatched", "y");
        do
        {
            Assert.True(await watch.MoveNextAsync());
            Assert.True(watch.Current.IsProgressNotify, "expected only progress notifications");
        }
        while (watch.Current.Revision < before + 1);
        Assert.Equal(before + 1, watch.Current.Revision);
        Assert.Equal(before + 2, watch.Current.NextRevision);

        long put = await client.PutAsync("/ep/new", "z");
        EtcdWatchEvent? seen = null;
        while (seen is null && await watch.MoveNextAsync())
        {
            seen = watch.Current.Events.Count > 0 ? Assert.Single(watch.Current.Events) : null;
        }

        Assert.NotNull(seen);
        Assert.Equal("/ep/new", seen.Kv.Key);
        Assert.Equal(put, seen.Kv.ModRevision);
        Assert.Equal(put + 1, watch.Current.NextRevision);
    }

    [EtcdFact]
    public async Task WatchFromACompactedRevisionReportsCompactedAndTheCallerResyncsFromASnapshot()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        long first = await client.PutAsync("/ep/a", "1");
        await client.PutAsync("/ep/a", "2");
        long compactAt = await client.PutAsync("/ep/b", "3");
        await client.CompactAsync(compactAt);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var e = await Assert.ThrowsAsync<EtcdCompactedException>(async () =>
        {
            await foreach (var response in client.WatchPrefixAsync("/ep/", first, cancellationToken: timeout.Token))
            {
                Assert.True(response.IsCreated, "no event may arrive from a compacted start");
            }
        });
        Assert.Equal(compactAt, e.CompactRevision);
        Assert.Equal(first, e.RequestedRevision);

        // The resync pattern: a snapshot at one revision, then a watch from the revision after it.
        var snapshot = await client.RangePrefixAsync("/ep/");
        Assert.Equal(["/ep/a=2", "/ep/b=3"], snapshot.Kvs.Select(kv => $"{kv.Key}={kv.ValueAsString()}"));
        long later = await client.PutAsync("/ep/c", "4");
        await foreach (var response in client.WatchPrefixAsync("/ep/", snapshot.Revision + 1, cancellationToken: timeout.Token))
        {
            if (response.Events.Count > 0)
            {
                var change = Assert.Single(response.Events);
                Assert.Equal(later, change.Kv.ModRevision);
                break;
            }
        }
    }

    [EtcdFact]
    public async Task AfterARestartMidWatchTheCallerResumesFromNextRevisionWithoutMissingOrRepeatingAChange()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient(requestTimeout: TimeSpan.FromSeconds(2));
        long start = await client.PutAsync("/ep/a", "1");
        await client.PutAsync("/ep/b", "2");

        var applied = new List<string>();
        long next = start;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Consume what exists, then crash etcd under the open watch.
        var failure = await Assert.ThrowsAsync<EtcdUnavailableException>(async () =>
        {
            await foreach (var response in client.WatchPrefixAsync("/ep/", next, cancellationToken: timeout.Token))
            {
                Apply(response);
                if (applied.Count == 2)
                {
                    etcd.Stop(crash: true);
                }
            }
        });
        Assert.Equal(etcd.ClientUrls[0], Assert.Single(failure.EndpointsTried));
        Assert.Equal(start + 2, next);

        // Changes made while the watcher is away.
        etcd.Restart();
        await client.PutAsync("/ep/c", "3");
        await client.DeleteAsync("/ep/a");

        // The resume loop a control plane runs: on failure, back off and watch again from NextRevision.
        while (applied.Count < 4)
        {
            try
            {
                await foreach (var response in client.WatchPrefixAsync("/ep/", next, cancellationToken: timeout.Token))
                {
                    Apply(response);
                    if (applied.Count >= 4)
                    {
                        break;
                    }
                }
            }
            catch (EtcdUnavailableException)
            {
                await Task.Delay(200, timeout.Token);
            }
        }

        Assert.Equal(["PUT /ep/a 1", "PUT /ep/b 2", "PUT /ep/c 3", "DELETE /ep/a "], applied);

        void Apply(EtcdWatchResponse response)
        {
            foreach (var e in response.Events)
            {
                applied.Add($"{e.Type.ToString().ToUpperInvariant()} {e.Kv.Key} {e.Kv.ValueAsString()}");
            }

            next = response.NextRevision;
        }
    }
}
