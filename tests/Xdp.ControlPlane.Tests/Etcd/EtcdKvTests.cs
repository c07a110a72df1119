using Xdp.ControlPlane.Etcd;
using Xdp.ControlPlane.Tests.Support;

namespace Xdp.ControlPlane.Tests.Etcd;

public sealed class EtcdKvTests
{
    [EtcdFact]
    public async Task PutRangeDeleteAndPrefixRange()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();

        long first = await client.PutAsync("/xdpnet/ila/a", "locator-1");
        long second = await client.PutAsync("/xdpnet/ila/b", new byte[] { 1, 2, 255 });
        await client.PutAsync("/xdpnet/ilb", "outside the prefix");
        long third = await client.PutAsync("/xdpnet/ila/a", "locator-2");
        Assert.True(first < second && second < third);

        var one = await client.RangeAsync("/xdpnet/ila/a");
        var a = Assert.Single(one.Kvs);
        Assert.Equal("/xdpnet/ila/a", a.Key);
        Assert.Equal("locator-2", a.ValueAsString());
        Assert.Equal(first, a.CreateRevision);
        Assert.Equal(third, a.ModRevision);
        Assert.Equal(2, a.Version);
        Assert.Equal(third, one.Revision);

        var prefix = await client.RangePrefixAsync("/xdpnet/ila/");
        Assert.Equal(["/xdpnet/ila/a", "/xdpnet/ila/b"], prefix.Kvs.Select(kv => kv.Key));
        Assert.Equal(new byte[] { 1, 2, 255 }, prefix.Kvs[1].Value.ToArray());
        Assert.Equal(2, prefix.Count);

        // An older revision still shows the old value (MVCC).
        var old = await client.RangeAsync("/xdpnet/ila/a", revision: first);
        Assert.Equal("locator-1", Assert.Single(old.Kvs).ValueAsString());

        var limited = await client.RangeAsync(EtcdKeyRange.Prefix("/xdpnet/"), limit: 2);
        Assert.Equal(2, limited.Kvs.Count);
        Assert.True(limited.More);
        Assert.Equal(3, limited.Count);

        var deleted = await client.DeletePrefixAsync("/xdpnet/ila/");
        Assert.Equal(2, deleted.Deleted);
        Assert.Empty((await client.RangePrefixAsync("/xdpnet/ila/")).Kvs);
        Assert.Single((await client.RangePrefixAsync("/xdpnet/")).Kvs);

        Assert.Equal(1, (await client.DeleteAsync("/xdpnet/ilb")).Deleted);
        Assert.Equal(0, (await client.DeleteAsync("/xdpnet/ilb")).Deleted);
        Assert.Empty((await client.RangeAsync("/xdpnet/ilb")).Kvs);
    }

    [EtcdFact]
    public async Task TxnCreatesOnlyIfAbsentAndSwapsOnlyAtTheReadRevision()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();

        var created = await client.TxnAsync(new EtcdTxn().IfAbsent("/lock").ThenPut("/lock", "host-a"));
        Assert.True(created.Succeeded);

        // The second creator loses and reads the winner in the same transaction.
        var lost = await client.TxnAsync(new EtcdTxn().IfAbsent("/lock").ThenPut("/lock", "host-b").ElseRange(EtcdKeyRange.Single("/lock")));
        Assert.False(lost.Succeeded);
        var winner = Assert.Single(Assert.Single(lost.Results).Kvs);
        Assert.Equal("host-a", winner.ValueAsString());
        Assert.Equal(created.Revision, winner.ModRevision);

        // Compare-and-swap: an update based on a stale read fails; one based on the current revision succeeds.
        await client.PutAsync("/lock", "host-c");
        var stale = await client.TxnAsync(new EtcdTxn().IfModRevision("/lock", winner.ModRevision).ThenPut("/lock", "host-a2"));
        Assert.False(stale.Succeeded);
        long current = Assert.Single((await client.RangeAsync("/lock")).Kvs).ModRevision;
        var swapped = await client.TxnAsync(new EtcdTxn().IfModRevision("/lock", current).ThenPut("/lock", "host-a2").ThenDelete(EtcdKeyRange.Single("/other")));
        Assert.True(swapped.Succeeded);
        Assert.Equal([EtcdTxnOpKind.Put, EtcdTxnOpKind.Delete], swapped.Results.Select(r => r.Kind));
        Assert.Equal("host-a2", Assert.Single((await client.RangeAsync("/lock")).Kvs).ValueAsString());

        var byValue = await client.TxnAsync(new EtcdTxn().IfValue("/lock", "host-a2"u8).ThenDelete(EtcdKeyRange.Single("/lock")));
        Assert.True(byValue.Succeeded);
        Assert.Equal(1, byValue.Results[0].Deleted);
        Assert.Empty((await client.RangeAsync("/lock")).Kvs);
    }

    [EtcdFact]
    public async Task RangeAtACompactedRevisionThrowsCompacted()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        long old = await client.PutAsync("/k", "1");
        long latest = await client.PutAsync("/k", "2");
        await client.CompactAsync(latest);

        var e = await Assert.ThrowsAsync<EtcdCompactedException>(() => client.RangeAsync("/k", revision: old));
        Assert.Equal(old, e.RequestedRevision);
        Assert.Equal("2", Assert.Single((await client.RangeAsync("/k")).Kvs).ValueAsString());
    }

    [EtcdFact]
    public async Task ServerErrorsCarryTheGrpcCodeAndMessage()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        var e = await Assert.ThrowsAsync<EtcdLeaseNotFoundException>(() => client.PutAsync("/k", "v", lease: 12345));
        Assert.Equal(12345, e.LeaseId);
        Assert.Equal(5, e.GrpcCode);
    }
}
