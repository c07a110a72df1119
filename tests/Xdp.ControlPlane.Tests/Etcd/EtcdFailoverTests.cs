using System.Diagnostics;
using Xdp.ControlPlane.Etcd;
using Xdp.ControlPlane.Tests.Support;

namespace Xdp.ControlPlane.Tests.Etcd;

public sealed class EtcdFailoverTests
{
    [EtcdFact]
    public async Task ARefusingFirstEndpointFailsOverToTheSecondAndStaysThere()
    {
        using var etcd = EtcdServer.Start();
        var dead = new Uri("http://127.0.0.1:2479"); // nothing listens there
        using var client = etcd.CreateClient([dead, etcd.ClientUrls[0]]);

        await client.PutAsync("/k", "v");
        Assert.Equal(etcd.ClientUrls[0], client.CurrentEndpoint);
        Assert.Equal("v", Assert.Single((await client.RangeAsync("/k")).Kvs).ValueAsString());
    }

    [EtcdFact]
    public async Task AClusterMemberCrashIsSurvivedByFailingOverToTheOthers()
    {
        using var etcd = EtcdServer.Start(members: 3);

        // Crash a follower the client is using: the others answer at once. (A crashed leader would also stall the
        // survivors' writes until they elect a new one, which is etcd's behaviour, not failover's.)
        int follower = -1;
        for (int i = 0; i < etcd.ClientUrls.Count && follower < 0; i++)
        {
            using var probe = etcd.CreateClient([etcd.ClientUrls[i]]);
            var status = await probe.StatusAsync();
            Assert.Matches(@"^3\.\d+\.\d+", status.Version);
            Assert.Equal(etcd.ClientUrls[i], status.Endpoint);
            follower = status.IsLeader ? -1 : i;
        }

        Assert.True(follower >= 0, "no follower among three members");
        var endpoints = etcd.ClientUrls.Skip(follower).Concat(etcd.ClientUrls.Take(follower)).ToArray();
        using var client = etcd.CreateClient(endpoints);
        long start = await client.PutAsync("/ep/a", "1");
        Assert.Equal(etcd.ClientUrls[follower], client.CurrentEndpoint);

        etcd.Stop(follower, crash: true);
        await client.PutAsync("/ep/b", "2");
        Assert.NotEqual(etcd.ClientUrls[follower], client.CurrentEndpoint);
        Assert.Equal(2, (await client.RangePrefixAsync("/ep/")).Count);

        // A watch opened now goes to a live member and replays from the start revision.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var keys = new List<string>();
        await foreach (var response in client.WatchPrefixAsync("/ep/", start, cancellationToken: timeout.Token))
        {
            keys.AddRange(response.Events.Select(e => e.Kv.Key));
            if (keys.Count == 2)
            {
                break;
            }
        }

        Assert.Equal(["/ep/a", "/ep/b"], keys);

        // The member comes back on its data and catches up.
        etcd.Restart(follower);
        using var back = etcd.CreateClient([etcd.ClientUrls[follower]]);
        Assert.Equal(2, (await back.RangePrefixAsync("/ep/")).Count);
    }

    [EtcdFact]
    public async Task UnreachableEtcdFailsQuicklyNamingEveryEndpoint()
    {
        using var etcd = EtcdServer.Start();

        // A veth pair inside the etcd namespace: 198.18.0.2 is routed out of one end with a static neighbour entry,
        // and the other end has no address, so SYNs vanish: the slow failure a crashed host gives.
        // 127.0.0.1:2479 refuses at once.
        etcd.Namespace.Exec("ip", "link", "add", "bh0", "type", "veth", "peer", "name", "bh1");
        etcd.Namespace.Exec("ip", "addr", "add", "198.18.0.1/24", "dev", "bh0");
        etcd.Namespace.Exec("ip", "link", "set", "dev", "bh0", "up");
        etcd.Namespace.Exec("ip", "link", "set", "dev", "bh1", "up");
        etcd.Namespace.Exec("ip", "neigh", "add", "198.18.0.2", "lladdr", "02:00:00:00:00:02", "dev", "bh0");
        Uri silent = new("http://198.18.0.2:2379");
        Uri refusing = new("http://127.0.0.1:2479");
        using var client = etcd.CreateClient([silent, refusing], connectTimeout: TimeSpan.FromMilliseconds(500));

        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<EtcdUnavailableException>(() => client.PutAsync("/k", "v"));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(3));
        Assert.Equal([silent, refusing], e.EndpointsTried);
        Assert.Contains("198.18.0.2", e.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:2479", e.Message, StringComparison.Ordinal);

        clock.Restart();
        await Assert.ThrowsAsync<EtcdUnavailableException>(async () =>
        {
            await foreach (var response in client.WatchPrefixAsync("/"))
            {
            }
        });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"watch took {clock.Elapsed}");
    }
}
