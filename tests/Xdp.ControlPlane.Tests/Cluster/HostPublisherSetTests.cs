using Xdp.ControlPlane.Cluster;
using Xdp.ControlPlane.Tests.Support;
using static Xdp.ControlPlane.Tests.Cluster.ClusterTestSupport;

namespace Xdp.ControlPlane.Tests.Cluster;

/// <summary>A running host's endpoints and mappings change (containers added live): etcd follows, under the same lease.</summary>
public sealed class HostPublisherSetTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [EtcdFact]
    public async Task EndpointsAndMappingsSetWhileRunningAreWrittenAndTheOnesLeftOutDeleted()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient();
        using var other = etcd.CreateClient();
        await using var sync = new ClusterStateSync(other);
        await sync.StartAsync();

        var host = new ClusterHost("node-a", null, ["2001:db8:a::"]);
        var web = new ClusterEndpoint("web-1", ["198.18.1.2"], "node-a", "veth1", ["app=web"]);
        var dyn = new ClusterEndpoint("dyn-1", ["2001:db8:5151::1:0:0:5"], "node-a", "xn1", ["app=dyn"]);
        var mapping = new ClusterMapping("2001:db8:5151::", "1:0:0:5", "2001:db8:a::", null);
        await using var publisher = new HostPublisher(client, Keys, host, [web], TimeSpan.FromSeconds(5));
        // Before the first publication the lists are only kept: the publication writes them.
        await publisher.SetAsync([web, dyn], []);
        await publisher.StartAsync();
        await WaitUntil(() => sync.Current.Endpoints.ContainsKey("dyn-1") && sync.Current.Endpoints.ContainsKey("web-1"), Wait, () => "not published");

        await publisher.SetAsync([web, dyn], [mapping]);
        await WaitUntil(() => sync.Current.MappingCount == 1, Wait, () => "mapping not written");
        Assert.Equal("2001:db8:a::", sync.Current.Mappings["2001:db8:5151::"]["1:0:0:5"].Locator);

        // The container goes: its endpoint and mapping are deleted, the rest stays.
        await publisher.SetAsync([web], []);
        await WaitUntil(() => !sync.Current.Endpoints.ContainsKey("dyn-1") && sync.Current.MappingCount == 0, Wait, () => "not deleted");
        Assert.True(sync.Current.Endpoints.ContainsKey("web-1"));
        Assert.True(sync.Current.Hosts.ContainsKey("node-a"));

        // A lost lease publishes the current lists again.
        await publisher.SetAsync([web, dyn], [mapping]);
        await other.RevokeLeaseAsync(publisher.LeaseId);
        await WaitUntil(() => publisher.Publications == 2 && sync.Current.Endpoints.ContainsKey("dyn-1") && sync.Current.MappingCount == 1, Wait,
            () => "not published again with the current lists");
    }
}
