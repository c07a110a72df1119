using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xdp.ControlPlane.Cluster;
using Xdp.ControlPlane.Tests.Support;
using static Xdp.ControlPlane.Tests.Cluster.ClusterTestSupport;

namespace Xdp.ControlPlane.Tests.Cluster;

/// <summary>
/// A sync whose watch stream goes silent with its connection alive (etcd's packets to it dropped): the client's
/// watchdog gives the stream up, the sync logs it, watches again from its next revision and applies the write it
/// would otherwise never have seen; its state then equals a fresh snapshot.
/// </summary>
public sealed class ClusterStateSyncStallTests
{
    private const string Sir = "2001:db8:5151::";

    [EtcdFact]
    public async Task ASilentlyStalledWatchIsReopenedAndTheChangeItMissedIsApplied()
    {
        using var etcd = EtcdServer.Start();
        var sockets = new ConcurrentQueue<Socket>();
        using var client = etcd.CreateClient(requestTimeout: TimeSpan.FromSeconds(2), watchCheckInterval: TimeSpan.FromSeconds(1), sockets: sockets.Enqueue);
        using var writer = etcd.CreateClient();
        await writer.PutAsync(Keys.Mapping(Sir, "1:0:0:1"), """{"locator":"2001:db8:a::"}""");

        var log = new ConcurrentQueue<string>();
        await using var sync = new ClusterStateSync(client, new ClusterStateSyncOptions { Log = log.Enqueue, MaxBackoff = TimeSpan.FromSeconds(1) });
        var changes = new ConcurrentQueue<ClusterChange>();
        sync.Changed += (_, c) => { foreach (var x in c) changes.Enqueue(x); };
        await sync.StartAsync();
        for (int i = 0; i < 50 && !sync.IsConnected; i++)
        {
            await Task.Delay(100);
        }

        Assert.True(sync.IsConnected, string.Join('\n', log));

        // Every connection the sync has opened so far (its snapshot's, its watch's) goes silent.
        foreach (var socket in sockets)
        {
            int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            etcd.Namespace.Exec("iptables", "-I", "INPUT", "-p", "tcp", "--sport", "2379", "--dport", port.ToString(CultureInfo.InvariantCulture), "-j", "DROP");
        }

        long put = await writer.PutAsync(Keys.Mapping(Sir, "1:0:0:1"), """{"locator":"2001:db8:b::"}""");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline && sync.Current.Revision < put)
        {
            await Task.Delay(100);
        }

        Assert.True(sync.Current.Revision >= put, $"the write at revision {put} never arrived:\n{string.Join('\n', log)}\n{etcd.Log()}");
        Assert.Equal("2001:db8:b::", sync.Current.Mappings[Sir]["1:0:0:1"].Locator);
        Assert.Contains(changes, c => c.Key.EndsWith("/1:0:0:1", StringComparison.Ordinal) && c.Revision == put);
        Assert.Contains(log, l => l.Contains("etcd watch interrupted", StringComparison.Ordinal) && l.Contains("stalled", StringComparison.Ordinal));
        Assert.True(client.StalledWatches >= 1);

        await using var fresh = new ClusterStateSync(writer);
        Assert.Equal(Render(await fresh.StartAsync()), Render(sync.Current));
    }
}
