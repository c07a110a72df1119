using System.Diagnostics;
using Xdp.ControlPlane.Cluster;
using Xdp.ControlPlane.Tests.Support;
using Xdp.Ila;
using XdpNet.Host;
using Xunit.Abstractions;
using static Xdp.ControlPlane.Tests.Cluster.ClusterTestSupport;

namespace Xdp.ControlPlane.Tests.Cluster;

/// <summary>
/// Convergence to the data plane: the time from a put (issued by another client) until a reader thread looking the
/// identifier up in the live ILA table (as the worker does per packet) sees the new locator. The path is xdpnet run's:
/// <see cref="ClusterStateSync"/> -> <see cref="ClusterIlaMappings.Apply"/> -> <see cref="IlaMappingTable.Set"/> in
/// place. 200 writes, each moving one identifier between two locators, with N mappings preloaded. Prints figures
/// (also the snapshot load, the table's build and its size), asserts only that every write arrived and that no
/// write rebuilt the table. The 1M case runs when XDPNET_CLUSTER_1M=1 (it preloads for minutes).
/// </summary>
public sealed class DataPlaneConvergenceMeasurement(ITestOutputHelper output)
{
    private const string Sir = "2001:db8:5151::";

    [EtcdFact]
    public Task DataPlaneConvergenceWith1kMappings() => Measure(1_000);

    [EtcdFact]
    public Task DataPlaneConvergenceWith1MMappings() =>
        Environment.GetEnvironmentVariable("XDPNET_CLUSTER_1M") == "1" ? Measure(1_000_000) : Task.CompletedTask;

    private async Task Measure(int preload)
    {
        using var etcd = EtcdServer.Start();
        using var writer = etcd.CreateClient(requestTimeout: TimeSpan.FromSeconds(30));
        using var reader = etcd.CreateClient(requestTimeout: TimeSpan.FromSeconds(30));
        await PutMappings(writer, Sir, preload, "2001:db8:a::");

        var mappings = new ClusterIlaMappings(_ => { });
        await using var sync = new ClusterStateSync(reader);
        sync.Changed += (state, changes) => mappings.Apply(state, changes);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        var snapshot = await sync.StartAsync();
        var loadTime = clock.Elapsed;
        mappings.Load(snapshot);
        clock.Restart();
        // adjust-transport: every identifier of the preload is usable (neutral-map refuses low 16 bits 0 and 0xFFFF).
        var table = mappings.TableFor(IlaPrefix.Parse(Sir), IlaChecksumMode.AdjustTransport, IlaPrefix.Parse("2001:db8:f::"), [], []);
        var buildTime = clock.Elapsed;
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(preload, table.Count);
        var rebuilds = mappings.Rebuilds;

        // The "worker": polls the awaited identifier in the live table and stamps the first lookup that sees the new locator.
        ulong awaitedIdentifier = 0, awaitedLocator = 0;
        TaskCompletionSource<long>? seen = null;
        var stop = false;
        var worker = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                var done = Volatile.Read(ref seen);
                if (done is not null && table.TryLookup(Volatile.Read(ref awaitedIdentifier), out var m) && m.Locator == Volatile.Read(ref awaitedLocator))
                {
                    done.TrySetResult(Stopwatch.GetTimestamp());
                }
                Thread.Yield();
            }
        }) { IsBackground = true, Name = "lookup" };
        worker.Start();

        var total = new List<double>();
        var afterAck = new List<double>();
        try
        {
            for (int i = 0; i < 200; i++)
            {
                var text = Identifier(1 + (i * 7919 % preload));
                var locator = i % 2 == 0 ? "2001:db8:b::" : "2001:db8:c::";
                Volatile.Write(ref seen, null);
                Volatile.Write(ref awaitedIdentifier, IlaIdentifier.Parse(text).Value);
                Volatile.Write(ref awaitedLocator, IlaPrefix.Parse(locator));
                var arrived = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref seen, arrived);
                long start = Stopwatch.GetTimestamp();
                await writer.PutAsync(Keys.Mapping(Sir, text), Mapping(locator));
                long acked = Stopwatch.GetTimestamp();
                long observed = await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
                total.Add(Stopwatch.GetElapsedTime(start, observed).TotalMilliseconds);
                afterAck.Add(Math.Max(0, Stopwatch.GetElapsedTime(acked, observed).TotalMilliseconds));
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            worker.Join();
        }
        Assert.Equal(rebuilds, mappings.Rebuilds);
        Assert.Equal(200, mappings.IncrementalUpdates);

        string line = $"mappings={preload}: snapshot load {loadTime.TotalSeconds:0.00} s, table build {buildTime.TotalMilliseconds:0} ms, " +
            $"state+table {(after - before) / 1048576.0:0} MiB managed (table arrays {table.StorageBytes / 1048576.0:0.0} MiB); " +
            $"put->table p50 {Percentile(total, 50):0.00} ms p99 {Percentile(total, 99):0.00} ms " +
            $"(after the put's ack: p50 {Percentile(afterAck, 50):0.00} ms p99 {Percentile(afterAck, 99):0.00} ms); rebuilds during the writes: {mappings.Rebuilds - rebuilds}";
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    private static double Percentile(List<double> values, int percent)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1)];
    }
}
