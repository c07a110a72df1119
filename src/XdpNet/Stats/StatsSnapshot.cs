using Xdp.Runtime.Pipeline;

namespace XdpNet.Stats;

/// <summary>
/// Everything <c>xdpnet stats</c> shows, taken at one moment by the running instance and sent as one JSON line
/// (snake_case names, see <see cref="StatsJsonContext"/>). Counters are cumulative since start; rates are computed
/// by the client from two snapshots.
/// </summary>
public sealed class StatsSnapshot
{
    public string Node { get; set; } = "";
    public DateTimeOffset Timestamp { get; set; }
    public double UptimeSeconds { get; set; }
    /// <summary>One entry per AF_XDP socket, i.e. per (interface, queue).</summary>
    public List<InterfaceStats> Interfaces { get; set; } = [];
    /// <summary>Per pipeline stage (e.g. "forwarding"), its named counters.</summary>
    public Dictionary<string, Dictionary<string, long>> Stages { get; set; } = [];
    public WorkerStats Worker { get; set; } = new();
    /// <summary>The VXLAN tunnel endpoint; null when no segment is configured.</summary>
    public VxlanStats? Vxlan { get; set; }

    /// <summary>The non-zero entries of a per-<see cref="DropReason"/> counter array, keyed by kebab-case reason name.</summary>
    public static Dictionary<string, long> NonZeroDrops(ReadOnlySpan<long> dropsByReason)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < dropsByReason.Length; i++)
        {
            var value = Volatile.Read(in dropsByReason[i]);
            if (value != 0) result[DropReasons.Name((DropReason)i)] = value;
        }
        return result;
    }
}

public sealed class InterfaceStats
{
    public string Name { get; set; } = "";
    /// <summary>Kernel interface index.</summary>
    public int Ifindex { get; set; }
    public int Queue { get; set; }
    /// <summary>The bind mode obtained: "zerocopy" or "copy".</summary>
    public string BindMode { get; set; } = "";
    /// <summary>The XDP attach mode obtained: "native" or "generic".</summary>
    public string AttachMode { get; set; } = "";
    public long RxPackets { get; set; }
    public long RxBytes { get; set; }
    public long TxPackets { get; set; }
    public long TxBytes { get; set; }
    /// <summary>Drops by kebab-case <see cref="DropReason"/> name; only non-zero reasons.</summary>
    public Dictionary<string, long> Drops { get; set; } = [];
    public XdpRingStats Xdp { get; set; } = new();
    public SteeringStats Steering { get; set; } = new();
}

/// <summary>The socket's XDP_STATISTICS (struct xdp_statistics, linux/if_xdp.h).</summary>
public sealed class XdpRingStats
{
    public ulong RxDropped { get; set; }
    public ulong RxInvalidDescs { get; set; }
    public ulong TxInvalidDescs { get; set; }
    public ulong RxRingFull { get; set; }
    public ulong RxFillRingEmptyDescs { get; set; }
    public ulong TxRingEmptyDescs { get; set; }
}

/// <summary>The interface's steering program counters (Xdp.Runtime.Bpf.SteeringCounters).</summary>
public sealed class SteeringStats
{
    public ulong Redirected { get; set; }
    public ulong PassedNotOwned { get; set; }
    public ulong PassedNoSocket { get; set; }
    public ulong PassedMalformed { get; set; }
}

public sealed class WorkerStats
{
    /// <summary>CPU the worker is pinned to; null when not pinned.</summary>
    public int? Cpu { get; set; }
    public long Batches { get; set; }
    public long IdlePolls { get; set; }
    /// <summary>Pipeline updates the worker applied between batches (reloads, refreshed neighbour tables).</summary>
    public long Updates { get; set; }
    /// <summary>Bytes the worker thread has allocated since start: constant in steady state (the hot path allocates nothing).</summary>
    public long AllocatedBytes { get; set; }
    /// <summary>AF_XDP sockets the worker drives now (interfaces are added and removed live).</summary>
    public int Ports { get; set; }
    /// <summary>UMEM frames in total, and free in the worker's pool (the rest sit in fill, RX, TX and completion rings).</summary>
    public int Frames { get; set; }
    public int FreeFrames { get; set; }
    /// <summary>Frames that stayed inside the kernel when a socket was removed (0 in copy mode at rest).</summary>
    public long FramesLost { get; set; }
}

/// <summary>The VTEP and its learned forwarding database (counters are under <c>stages.vxlan</c>).</summary>
public sealed class VxlanStats
{
    public string Vtep { get; set; } = "";
    public int Port { get; set; }
    public List<uint> Vnis { get; set; } = [];
    /// <summary>Learned entries that have not expired.</summary>
    public List<FdbEntryStats> Fdb { get; set; } = [];
}

/// <summary>One learned MAC: behind a local member interface, or behind a remote VTEP.</summary>
public sealed class FdbEntryStats
{
    public uint Vni { get; set; }
    public string Mac { get; set; } = "";
    /// <summary>The local member interface, when the MAC is local.</summary>
    public string? Interface { get; set; }
    /// <summary>The remote VTEP, when the MAC is remote.</summary>
    public string? Vtep { get; set; }
    public double AgeSeconds { get; set; }
}

/// <summary>The connection-tracking table of a running instance (<c>xdpnet conntrack</c>).</summary>
public sealed class ConntrackSnapshot
{
    public string Node { get; set; } = "";
    public DateTimeOffset Timestamp { get; set; }
    public int Capacity { get; set; }
    /// <summary>created, hits, related, expired, evicted, full, invalid, entries.</summary>
    public Dictionary<string, long> Counters { get; set; } = [];
    public List<ConntrackFlowStats> Flows { get; set; } = [];
}

/// <summary>One tracked flow, in the direction of its first packet.</summary>
public sealed class ConntrackFlowStats
{
    /// <summary>"tcp", "udp", "icmp", "icmpv6" or the protocol number.</summary>
    public string Protocol { get; set; } = "";
    public string Source { get; set; } = "";
    public int SourcePort { get; set; }
    public string Destination { get; set; } = "";
    public int DestinationPort { get; set; }
    public string State { get; set; } = "";
    public bool Assured { get; set; }
    public double AgeSeconds { get; set; }
    public double ExpiresInSeconds { get; set; }
    public ulong PacketsOriginal { get; set; }
    public ulong BytesOriginal { get; set; }
    public ulong PacketsReply { get; set; }
    public ulong BytesReply { get; set; }
}
