using Xdp.Runtime.Bpf;
using Xdp.Runtime.Pipeline;
using XdpNet.Configuration;
using XdpNet.Pipeline;
using XdpNet.Stats;

namespace XdpNet.Host;

/// <summary>Serves the running instance's counters on its Unix socket (read off the worker's counters, never locking it).</summary>
public static class HostStats
{
    public static StatsServer Serve(HostConfig config, DataPlane<HostPipeline> plane, DateTimeOffset started)
    {
        var path = config.Stats.Socket ?? StatsServer.DefaultSocketPath(config.Node.Name);
        return new StatsServer(path, () => Snapshot(config, plane, started));
    }

    public static StatsSnapshot Snapshot(HostConfig config, DataPlane<HostPipeline> plane, DateTimeOffset started)
    {
        var now = DateTimeOffset.UtcNow;
        var snapshot = new StatsSnapshot
        {
            Node = config.Node.Name,
            Timestamp = now,
            UptimeSeconds = (now - started).TotalSeconds,
            Worker = new WorkerStats { Cpu = config.Node.Cpu, Batches = plane.Worker.Batches, IdlePolls = plane.Worker.IdlePolls, AllocatedBytes = plane.Worker.AllocatedBytes },
        };
        long forwarded = 0;
        for (var i = 0; i < plane.Counters.Length; i++)
        {
            var c = plane.Counters[i];
            var stats = new InterfaceStats
            {
                Name = c.Name,
                RxPackets = c.RxPackets,
                RxBytes = c.RxBytes,
                TxPackets = c.TxPackets,
                TxBytes = c.TxBytes,
                Drops = StatsSnapshot.NonZeroDrops(c.Drops),
            };
            forwarded += c.TxPackets;
            for (var p = 0; p < plane.Ports.Count; p++)
            {
                var port = plane.Ports[p];
                if (port.Interface != c.Name) continue;
                stats.Ifindex = port.Ifindex;
                stats.Queue = (int)port.Queue;
                stats.BindMode = port.ZeroCopy ? "zerocopy" : "copy";
                stats.AttachMode = port.AttachMode == XdpAttachMode.Generic ? "generic" : "native";
                var x = plane.Sockets[p].ReadStatistics();
                stats.Xdp.RxDropped += x.RxDropped;
                stats.Xdp.RxInvalidDescs += x.RxInvalidDescs;
                stats.Xdp.TxInvalidDescs += x.TxInvalidDescs;
                stats.Xdp.RxRingFull += x.RxRingFull;
                stats.Xdp.RxFillRingEmptyDescs += x.RxFillRingEmptyDescs;
                stats.Xdp.TxRingEmptyDescs += x.TxRingEmptyDescs;
            }
            var s = plane.Programs[i].ReadCounters();
            stats.Steering = new SteeringStats
            {
                Redirected = s.Redirected,
                PassedNotOwned = s.PassedNotOwned,
                PassedNoSocket = s.PassedNoSocket,
                PassedMalformed = s.PassedMalformed,
            };
            snapshot.Interfaces.Add(stats);
        }
        long dropped = 0;
        foreach (var c in plane.Counters) dropped += c.TotalDrops;
        snapshot.Stages["forwarding"] = new Dictionary<string, long> { ["forwarded"] = forwarded, ["dropped"] = dropped };
        snapshot.Stages["checksum"] = new Dictionary<string, long> { ["completed"] = Volatile.Read(ref plane.Worker.Pipeline.Checksums.Completed) };
        return snapshot;
    }
}
