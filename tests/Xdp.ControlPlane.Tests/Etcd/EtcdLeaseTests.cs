using System.Diagnostics;
using Xdp.ControlPlane.Etcd;
using Xdp.ControlPlane.Tests.Support;

namespace Xdp.ControlPlane.Tests.Etcd;

public sealed class EtcdLeaseTests
{
    // etcd's minimum TTL with the default 100 ms heartbeat and 1 s election timeout is 2 s (lease.minLeaseTTL).
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);

    [EtcdFact]
    public async Task ExpiryDeletesTheLeasesKeys()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        var lease = await client.GrantLeaseAsync(Ttl);
        Assert.Equal(Ttl, lease.Ttl);
        long put = await client.PutAsync("/hosts/a", "198.18.0.1", lease.Id);
        Assert.Equal(lease.Id, Assert.Single((await client.RangeAsync("/hosts/a")).Kvs).Lease);

        // The expiry is a DELETE event at a new revision.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();
        EtcdWatchEvent? deletion = null;
        await foreach (var response in client.WatchPrefixAsync("/hosts/", put + 1, cancellationToken: timeout.Token))
        {
            if (response.Events.Count > 0)
            {
                deletion = Assert.Single(response.Events);
                break;
            }
        }

        Assert.NotNull(deletion);
        Assert.Equal(EtcdEventType.Delete, deletion.Type);
        Assert.Equal("/hosts/a", deletion.Kv.Key);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8));
        Assert.Empty((await client.RangeAsync("/hosts/a")).Kvs);
        Assert.Null(await client.TimeToLiveAsync(lease.Id));
        await Assert.ThrowsAsync<EtcdLeaseNotFoundException>(() => client.KeepAliveOnceAsync(lease.Id));
    }

    [EtcdFact]
    public async Task KeepAliveKeepsTheKeysUntilTheKeeperStops()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        var lease = await client.GrantLeaseAsync(Ttl);
        await client.PutAsync("/hosts/b", "198.18.0.2", lease.Id);

        await using (var keeper = client.StartKeepAlive(lease))
        {
            // Three TTLs: without refreshes the key would be gone.
            await Task.Delay(Ttl * 3);
            Assert.False(keeper.Completion.IsCompleted, keeper.Completion.Exception?.ToString());
            Assert.Single((await client.RangeAsync("/hosts/b")).Kvs);
            var left = await client.TimeToLiveAsync(lease.Id);
            Assert.NotNull(left);
        }

        // Stopped, not revoked: the key expires like a dead host's.
        var deadline = Stopwatch.StartNew();
        while ((await client.RangeAsync("/hosts/b")).Kvs.Count > 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(8), "the key outlived its lease");
            await Task.Delay(200);
        }
    }

    [EtcdFact]
    public async Task RevokeDeletesAtOnceAndTheKeeperReportsTheLostLease()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        var lease = await client.GrantLeaseAsync(TimeSpan.FromSeconds(6));
        await client.PutAsync("/hosts/c", "x", lease.Id);
        await using var keeper = client.StartKeepAlive(lease);

        await client.RevokeLeaseAsync(lease.Id);
        Assert.Empty((await client.RangeAsync("/hosts/c")).Kvs);
        await Assert.ThrowsAsync<EtcdLeaseNotFoundException>(() => client.RevokeLeaseAsync(lease.Id));

        // The keeper refreshes every TTL/3 = 2 s; a lost lease ends it with the specific exception.
        var done = await Task.WhenAny(keeper.Completion, Task.Delay(TimeSpan.FromSeconds(8)));
        Assert.Same(keeper.Completion, done);
        await Assert.ThrowsAsync<EtcdLeaseNotFoundException>(() => keeper.Completion);
    }
}
