using System.Diagnostics;
using Xdp.ControlPlane.Cluster;
using Xdp.ControlPlane.Tests.Support;
using Xunit.Abstractions;
using static Xdp.ControlPlane.Tests.Cluster.ClusterTestSupport;

namespace Xdp.ControlPlane.Tests.Cluster;

/// <summary>
/// Convergence of the sync: the time from a put (issued by another client) to the sync's Changed callback carrying
/// it, over 200 writes, with N mappings preloaded. Prints figures, asserts only that every write arrived. The 1M case
/// runs when XDPNET_CLUSTER_1M=1 (it preloads for minutes).
/// </summary>
public sealed class ClusterConvergenceMeasurement(ITestOutputHelper output)
{
    private const string Sir = "2001:db8:5151::";

    [EtcdFact]
    public Task ConvergenceWith1kMappings() => Measure(1_000);

    [EtcdFact]
    public Task ConvergenceWith1MMappings() =>
        Environment.GetEnvironmentVariable("XDPNET_CLUSTER_1M") == "1" ? Measure(1_000_000) : Task.CompletedTask;

    private async Task Measure(int preload)
    {
        using var etcd = EtcdServer.Start();
        using var writer = etcd.CreateClient(requestTimeout: TimeSpan.FromSeconds(30));
        using var reader = etcd.CreateClient(requestTimeout: TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        await PutMappings(writer, Sir, preload, "2001:db8:a::");
        var preloadTime = clock.Elapsed;

        long before = GC.GetTotalMemory(forceFullCollection: true);
        clock.Restart();
        await using var sync = new ClusterStateSync(reader);
        var state = await sync.StartAsync();
        var loadTime = clock.Elapsed;
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(preload, state.MappingCount);

        string? awaited = null;
        TaskCompletionSource<long>? arrived = null;
        var callbackClock = Stopwatch.StartNew();
        sync.Changed += (_, changes) =>
        {
            foreach (var change in changes)
            {
                if (change.Key == Volatile.Read(ref awaited))
                {
                    arrived!.TrySetResult(callbackClock.ElapsedTicks);
                }
            }
        };

        var total = new List<double>();
        var afterAck = new List<double>();
        for (int i = 0; i < 200; i++)
        {
            string key = Keys.Mapping(Sir, Identifier(1 + (i * 7919 % preload)));
            arrived = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref awaited, key);
            long start = callbackClock.ElapsedTicks;
            await writer.PutAsync(key, Mapping(i % 2 == 0 ? "2001:db8:b::" : "2001:db8:c::"));
            long acked = callbackClock.ElapsedTicks;
            long seen = await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
            total.Add(Milliseconds(seen - start));
            afterAck.Add(Milliseconds(Math.Max(0, seen - acked)));
        }

        string line = $"mappings={preload}: preload {preloadTime.TotalSeconds:0.0} s, snapshot load {loadTime.TotalSeconds:0.00} s, " +
            $"state {(after - before) / 1048576.0:0} MiB; put->callback p50 {Percentile(total, 50):0.00} ms p99 {Percentile(total, 99):0.00} ms " +
            $"(after the put's ack: p50 {Percentile(afterAck, 50):0.00} ms p99 {Percentile(afterAck, 99):0.00} ms)";
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static double Percentile(List<double> values, int percent)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1)];
    }
}
