using Xdp.Runtime.Bpf;
using Xdp.Runtime.Pipeline;
using XdpNet.Configuration;
using XdpNet.Pipeline;
using XdpNet.Stats;

namespace XdpNet.Host;

/// <summary>Serves the running instance's counters on its Unix socket (read off the worker's counters, never locking it).</summary>
public static class HostStats
{
    /// <param name="endpoints">Answers <c>endpoint ...</c> request lines; null when the instance takes none.</param>
    public static StatsServer Serve(HostConfig config, DataPlane<HostPipeline> plane, DateTimeOffset started, Func<string, string>? endpoints = null)
    {
        var path = config.Stats.Socket ?? StatsServer.DefaultSocketPath(config.Node.Name);
        return new StatsServer(path, () => Snapshot(config, plane, started), () => Conntrack(config, plane), endpoints);
    }

    public static StatsSnapshot Snapshot(HostConfig config, DataPlane<HostPipeline> plane, DateTimeOffset started)
    {
        var now = DateTimeOffset.UtcNow;
        var snapshot = new StatsSnapshot
        {
            Node = config.Node.Name,
            Timestamp = now,
            UptimeSeconds = (now - started).TotalSeconds,
            Worker = new WorkerStats
            {
                Cpu = config.Node.Cpu,
                Batches = plane.Worker.Batches,
                IdlePolls = plane.Worker.IdlePolls,
                Updates = Volatile.Read(ref plane.Worker.Updates),
                AllocatedBytes = plane.Worker.AllocatedBytes,
                Ports = plane.Worker.Ports.Count,
                FreeFrames = plane.Worker.FreeFrames,
                Frames = plane.Umem.Frames,
                FramesLost = plane.FramesLost,
            },
        };
        long forwarded = 0;
        long dropped = 0;
        foreach (var served in plane.Interfaces)
        {
            if (served is null) continue;
            var c = served.Counters;
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
            dropped += c.TotalDrops;
            for (var p = 0; p < served.States.Count; p++)
            {
                var port = served.States[p];
                stats.Ifindex = port.Ifindex;
                stats.Queue = (int)port.Queue;
                stats.BindMode = port.ZeroCopy ? "zerocopy" : "copy";
                stats.AttachMode = port.AttachMode == XdpAttachMode.Generic ? "generic" : "native";
                var x = served.Sockets[p].ReadStatistics();
                stats.Xdp.RxDropped += x.RxDropped;
                stats.Xdp.RxInvalidDescs += x.RxInvalidDescs;
                stats.Xdp.TxInvalidDescs += x.TxInvalidDescs;
                stats.Xdp.RxRingFull += x.RxRingFull;
                stats.Xdp.RxFillRingEmptyDescs += x.RxFillRingEmptyDescs;
                stats.Xdp.TxRingEmptyDescs += x.TxRingEmptyDescs;
            }
            var s = served.Program.ReadCounters();
            stats.Steering = new SteeringStats
            {
                Redirected = s.Redirected,
                PassedNotOwned = s.PassedNotOwned,
                PassedNoSocket = s.PassedNoSocket,
                PassedMalformed = s.PassedMalformed,
            };
            snapshot.Interfaces.Add(stats);
        }
        snapshot.Stages["forwarding"] = new Dictionary<string, long> { ["forwarded"] = forwarded, ["dropped"] = dropped };
        snapshot.Stages["checksum"] = new Dictionary<string, long> { ["completed"] = Volatile.Read(ref plane.Worker.Pipeline.Checksums.Completed) };
        ref var pipeline = ref plane.Worker.Pipeline;
        AddVxlan(snapshot, pipeline.Vxlan, pipeline.VxlanEnabled, pipeline.Forwarding.Tables);
        AddPolicy(snapshot, pipeline.Policy);
        return snapshot;
    }

    /// <summary>VXLAN counters (a stage) and the learned FDB, read while the worker runs (values at most a batch old).</summary>
    internal static void AddVxlan(StatsSnapshot snapshot, Xdp.Vxlan.VxlanStage stage, bool enabled, Xdp.Runtime.Routing.ForwardingTables forwarding)
    {
        if (!enabled || stage.Counters is not { } c || stage.Learned is not { } learned) return;
        snapshot.Stages["vxlan"] = new Dictionary<string, long>
        {
            ["encapsulated"] = Volatile.Read(ref c.Encapsulated),
            ["decapsulated"] = Volatile.Read(ref c.Decapsulated),
            ["local_switched"] = Volatile.Read(ref c.LocalSwitched),
            ["flooded"] = Volatile.Read(ref c.Flooded),
            ["flood_copies"] = Volatile.Read(ref c.FloodCopies),
            ["flood_copy_failures"] = Volatile.Read(ref c.FloodCopyFailures),
            ["learned"] = Volatile.Read(ref c.Learned),
            ["fdb_full"] = Volatile.Read(ref c.FdbFull),
            ["too_big"] = Volatile.Read(ref c.TooBig),
            ["icmp_too_big_sent"] = Volatile.Read(ref c.IcmpTooBigSent),
            ["gbp_sent"] = Volatile.Read(ref c.GbpSent),
            ["gbp_received"] = Volatile.Read(ref c.GbpReceived),
        };
        var tables = stage.Tables;
        var vxlan = new VxlanStats { Vtep = tables.Settings.Vtep.ToString(), Port = tables.Settings.Port };
        foreach (var segment in tables.Segments) vxlan.Vnis.Add(segment.Vni);
        foreach (var e in learned.Snapshot(Environment.TickCount64))
        {
            vxlan.Fdb.Add(new FdbEntryStats
            {
                Vni = e.Vni,
                Mac = e.Mac.ToString(),
                Interface = e.LocalInterface >= 0 ? InterfaceName(forwarding, e.LocalInterface) : null,
                Vtep = e.Remote?.ToString(),
                AgeSeconds = e.AgeMilliseconds / 1000.0,
            });
        }
        snapshot.Vxlan = vxlan;
    }

    private static string InterfaceName(Xdp.Runtime.Routing.ForwardingTables forwarding, int index) =>
        index < forwarding.Interfaces.Length ? forwarding.Interfaces[index].Name : index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Policy decisions and connection-tracking counters, as stages.</summary>
    internal static void AddPolicy(StatsSnapshot snapshot, Xdp.Filter.Stage.PolicyEngine? engine)
    {
        if (engine is null) return;
        var c = engine.Counters;
        snapshot.Stages["policy"] = new Dictionary<string, long>
        {
            ["allowed"] = Volatile.Read(ref c.Allowed),
            ["denied"] = Volatile.Read(ref c.Denied),
            ["default_denied"] = Volatile.Read(ref c.DefaultDenied),
            ["established"] = Volatile.Read(ref c.Established),
            ["related"] = Volatile.Read(ref c.Related),
            ["neighbor_discovery"] = Volatile.Read(ref c.NeighborDiscovery),
            ["flows_created"] = Volatile.Read(ref c.FlowsCreated),
            ["rule_allowed"] = Volatile.Read(ref c.RuleAllowed),
            ["rule_denied"] = Volatile.Read(ref c.RuleDenied),
            ["spoofed"] = Volatile.Read(ref c.Spoofed),
            ["picked_up"] = Volatile.Read(ref c.PickedUp),
            ["rules"] = engine.Rules?.Packets.Length ?? 0,
            ["policy_entries"] = engine.Policy.Map.EntryCount,
            ["identities"] = engine.Policy.Identities.Identities.Count,
        };
        snapshot.Stages["conntrack"] = ConntrackCounters(engine.Conntrack);
    }

    private static Dictionary<string, long> ConntrackCounters(Xdp.Filter.Conntrack.ConntrackTable table)
    {
        var t = table.Counters;
        return new Dictionary<string, long>
        {
            ["entries"] = Volatile.Read(ref t.Entries),
            ["created"] = Volatile.Read(ref t.Created),
            ["hits"] = Volatile.Read(ref t.Hits),
            ["related"] = Volatile.Read(ref t.Related),
            ["expired"] = Volatile.Read(ref t.Expired),
            ["evicted"] = Volatile.Read(ref t.Evicted),
            ["full"] = Volatile.Read(ref t.Full),
            ["invalid"] = Volatile.Read(ref t.Invalid),
        };
    }

    /// <summary>The connection-tracking table, read while the worker runs (an entry may be torn: display only).</summary>
    public static ConntrackSnapshot Conntrack(HostConfig config, DataPlane<HostPipeline> plane)
    {
        var engine = plane.Worker.Pipeline.Policy
            ?? throw new InvalidOperationException("this instance tracks no connections (neither Policy:Files nor Policy:Rules is configured)");
        var table = engine.Conntrack;
        var snapshot = new ConntrackSnapshot
        {
            Node = config.Node.Name,
            Timestamp = DateTimeOffset.UtcNow,
            Capacity = table.Capacity,
            Counters = ConntrackCounters(table),
        };
        foreach (var e in table.Snapshot(Environment.TickCount64))
        {
            snapshot.Flows.Add(new ConntrackFlowStats
            {
                Protocol = ProtocolName(e.Protocol),
                Source = e.Source.ToString(),
                SourcePort = e.SourcePort,
                Destination = e.Destination.ToString(),
                DestinationPort = e.DestinationPort,
                State = e.StateName,
                Assured = e.Assured,
                AgeSeconds = e.AgeMilliseconds / 1000.0,
                ExpiresInSeconds = e.RemainingMilliseconds / 1000.0,
                PacketsOriginal = e.PacketsOriginal,
                BytesOriginal = e.BytesOriginal,
                PacketsReply = e.PacketsReply,
                BytesReply = e.BytesReply,
            });
        }
        return snapshot;
    }

    private static string ProtocolName(byte protocol) => protocol switch
    {
        6 => "tcp",
        17 => "udp",
        1 => "icmp",
        58 => "icmpv6",
        132 => "sctp",
        _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
