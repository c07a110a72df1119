using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xdp.ControlPlane.Etcd;
using Xdp.ControlPlane.Tests.Support;

namespace Xdp.ControlPlane.Tests.Etcd;

/// <summary>
/// The watch watchdog (<see cref="EtcdClientOptions.WatchCheckInterval"/>): a stream that goes silent with its TCP
/// connection alive is checked, given up when it owes changes or etcd does not answer, and a watch from its last
/// NextRevision picks up exactly what was missed. A quiet healthy stream is left alone.
/// </summary>
public sealed class EtcdWatchStallTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// etcd's packets to the watch connection are dropped (iptables in etcd's namespace): the connection stays open,
    /// etcd keeps retransmitting, the client hears nothing, while etcd itself answers every other connection. Without
    /// the watchdog the put below would never arrive.
    /// </summary>
    [EtcdFact]
    public async Task AStreamThatStopsDeliveringWhileEtcdAnswersIsGivenUpAndAWatchFromItsNextRevisionMissesNothing()
    {
        using var etcd = EtcdServer.Start();
        var sockets = new ConcurrentQueue<Socket>();
        using var client = etcd.CreateClient(requestTimeout: TimeSpan.FromSeconds(2), watchCheckInterval: Interval, sockets: sockets.Enqueue);
        using var writer = etcd.CreateClient();
        await writer.PutAsync("/ep/a", "1");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var watch = client.WatchPrefixAsync("/ep/", cancellationToken: timeout.Token).GetAsyncEnumerator();
        long next;
        EtcdUnavailableException? stalled = null;
        try
        {
            Assert.True(await watch.MoveNextAsync());
            Assert.True(watch.Current.IsCreated);
            next = watch.Current.NextRevision;

            // The only connection so far is the watch's: blackhole what etcd sends to it.
            int port = ((IPEndPoint)Assert.Single(sockets).LocalEndPoint!).Port;
            etcd.Namespace.Exec("iptables", "-I", "INPUT", "-p", "tcp", "--sport", "2379", "--dport", port.ToString(CultureInfo.InvariantCulture), "-j", "DROP");
            long put = await writer.PutAsync("/ep/b", "2");
            Assert.True(put >= next);
            stalled = await Assert.ThrowsAsync<EtcdUnavailableException>(async () =>
            {
                while (await watch.MoveNextAsync())
                {
                    // A progress notification sent before the rule took effect; no event can arrive.
                    Assert.True(watch.Current.IsProgressNotify, $"an event arrived on the blackholed stream at revision {watch.Current.Revision}");
                    next = watch.Current.NextRevision;
                }
            });
        }
        finally
        {
            await watch.DisposeAsync();
        }

        Assert.Contains("stalled", stalled.Message, StringComparison.Ordinal);
        Assert.Contains($"since revision {next} were not delivered", stalled.Message, StringComparison.Ordinal);
        Assert.Equal(1, client.StalledWatches);

        // A new watch (a new connection, not blackholed) from the last NextRevision sees the put, once.
        await foreach (var response in client.WatchPrefixAsync("/ep/", next, cancellationToken: timeout.Token))
        {
            if (response.Events.Count == 0)
            {
                continue;
            }

            var e = Assert.Single(response.Events);
            Assert.Equal(("/ep/b", "2"), (e.Kv.Key, e.Kv.ValueAsString()));
            break;
        }
    }

    /// <summary>etcd frozen by SIGSTOP longer than the check interval plus a request timeout: the revision check times
    /// out, the stream is given up; after SIGCONT a watch from its NextRevision gets a change made since.</summary>
    [EtcdFact]
    public async Task AFrozenEtcdIsDetectedAndTheWatchResumesAfterItThaws()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient(requestTimeout: TimeSpan.FromSeconds(1), watchCheckInterval: Interval);
        using var writer = etcd.CreateClient(requestTimeout: TimeSpan.FromSeconds(15));
        await writer.PutAsync("/ep/a", "1");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var watch = client.WatchPrefixAsync("/ep/", cancellationToken: timeout.Token).GetAsyncEnumerator();
        long next = 0;
        EtcdUnavailableException stalled;
        try
        {
            Assert.True(await watch.MoveNextAsync());
            next = watch.Current.NextRevision;
            etcd.Pause();
            try
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                stalled = await Assert.ThrowsAsync<EtcdUnavailableException>(async () =>
                {
                    while (await watch.MoveNextAsync())
                    {
                        next = watch.Current.NextRevision; // progress notifications sent before the freeze
                    }
                });
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the stall took {clock.Elapsed} to detect");
            }
            finally
            {
                etcd.Resume();
            }
        }
        finally
        {
            await watch.DisposeAsync();
        }

        Assert.Contains("did not answer a revision check", stalled.Message, StringComparison.Ordinal);
        Assert.Equal(1, client.StalledWatches);

        long put = await writer.PutAsync("/ep/b", "2");
        await foreach (var response in client.WatchPrefixAsync("/ep/", next, cancellationToken: timeout.Token))
        {
            if (response.Events.Count == 0)
            {
                continue;
            }

            var e = Assert.Single(response.Events);
            Assert.Equal(("/ep/b", put), (e.Kv.Key, e.Kv.ModRevision));
            break;
        }
    }

    /// <summary>
    /// No progress notifications asked for, changes only outside the watched prefix: the stream is silent and the
    /// store's revision moves past its position, but nothing is owed: the checks keep it, and it delivers the next
    /// change in the prefix. Deleting a key is owed as well as putting one.
    /// </summary>
    [EtcdFact]
    public async Task AQuietHealthyStreamIsKeptAndDeliversTheNextChange()
    {
        using var etcd = EtcdServer.Start();
        using var client = etcd.CreateClient(requestTimeout: TimeSpan.FromSeconds(2), watchCheckInterval: TimeSpan.FromMilliseconds(300));
        using var writer = etcd.CreateClient();
        await writer.PutAsync("/ep/a", "1");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var watch = client.WatchPrefixAsync("/ep/", cancellationToken: timeout.Token).GetAsyncEnumerator();
        Assert.True(await watch.MoveNextAsync());
        Assert.True(watch.Current.IsCreated);

        var next = watch.MoveNextAsync().AsTask();
        try
        {
            for (int i = 0; i < 10; i++)
            {
                await writer.PutAsync("/other/" + i.ToString(CultureInfo.InvariantCulture), "x");
                await Task.Delay(250);
            }

            if (next.IsCompleted)
            {
                // Only the deletion below may end the wait: show what ended it instead.
                bool more = await next;
                Assert.Fail(more ? $"a message arrived at revision {watch.Current!.Revision} with {watch.Current.Events.Count} events" : "the stream ended");
            }

            Assert.Equal(0, client.StalledWatches);

            var deleted = await writer.DeleteAsync("/ep/a");
            Assert.True(await next);
            var e = Assert.Single(watch.Current!.Events);
            Assert.Equal((EtcdEventType.Delete, "/ep/a", deleted.Revision), (e.Type, e.Kv.Key, e.Kv.ModRevision));
        }
        finally
        {
            // An async enumerator cannot be disposed while a MoveNextAsync is pending.
            await timeout.CancelAsync();
            await Task.WhenAny(next);
        }

        Assert.Equal(0, client.StalledWatches);
    }
}
