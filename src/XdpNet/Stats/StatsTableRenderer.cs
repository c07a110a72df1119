using System.Globalization;
using System.Text;

namespace XdpNet.Stats;

/// <summary>The human view of <c>xdpnet stats</c>: one block per interface, rates from the previous snapshot.</summary>
public static class StatsTableRenderer
{
    public static string Render(StatsSnapshot current, StatsSnapshot? previous)
    {
        var inv = CultureInfo.InvariantCulture;
        var seconds = previous is null ? 0 : (current.Timestamp - previous.Timestamp).TotalSeconds;
        var sb = new StringBuilder();
        sb.Append(inv, $"xdpnet {current.Node}   up {Uptime(current.UptimeSeconds)}   {current.Timestamp.ToLocalTime():yyyy-MM-dd HH:mm:ss}");
        sb.Append(inv, $"   worker cpu {(current.Worker.Cpu is int c ? c.ToString(inv) : "-")}, batches {current.Worker.Batches}, idle polls {current.Worker.IdlePolls}\n\n");

        sb.Append(inv, $"{"INTERFACE",-16}{"Q",3} {"MODE",-16}{"RX PKTS",14}{"RX PPS",12}{"RX BYTES",16}{"TX PKTS",14}{"TX PPS",12}{"TX BYTES",16}\n");
        foreach (var itf in current.Interfaces)
        {
            var before = previous?.Interfaces.Find(p => p.Name == itf.Name && p.Queue == itf.Queue);
            var mode = $"{itf.BindMode}/{itf.AttachMode}";
            sb.Append(inv, $"{itf.Name,-16}{itf.Queue,3} {mode,-16}{itf.RxPackets,14:N0}{Rate(itf.RxPackets, before?.RxPackets, seconds),12}{itf.RxBytes,16:N0}");
            sb.Append(inv, $"{itf.TxPackets,14:N0}{Rate(itf.TxPackets, before?.TxPackets, seconds),12}{itf.TxBytes,16:N0}\n");

            if (itf.Drops.Count > 0)
            {
                sb.Append("    drops:    ");
                sb.AppendJoin(", ", itf.Drops.OrderByDescending(d => d.Value).Select(d => string.Create(inv, $"{d.Key} {d.Value:N0}")));
                sb.Append('\n');
            }
            var x = itf.Xdp;
            sb.Append(inv, $"    xdp:      rx_dropped {x.RxDropped:N0}, rx_invalid_descs {x.RxInvalidDescs:N0}, tx_invalid_descs {x.TxInvalidDescs:N0}, ");
            sb.Append(inv, $"rx_ring_full {x.RxRingFull:N0}, rx_fill_ring_empty_descs {x.RxFillRingEmptyDescs:N0}, tx_ring_empty_descs {x.TxRingEmptyDescs:N0}\n");
            var s = itf.Steering;
            sb.Append(inv, $"    steering: redirected {s.Redirected:N0}, passed_not_owned {s.PassedNotOwned:N0}, passed_no_socket {s.PassedNoSocket:N0}, passed_malformed {s.PassedMalformed:N0}\n");
        }

        if (current.Stages.Count > 0)
        {
            sb.Append('\n');
            foreach (var (stage, counters) in current.Stages)
            {
                sb.Append(inv, $"{stage,-16}");
                sb.AppendJoin(", ", counters.Select(kv => string.Create(inv, $"{kv.Key} {kv.Value:N0}")));
                sb.Append('\n');
            }
        }
        if (current.Vxlan is { } vxlan)
        {
            sb.Append(inv, $"\nvxlan fdb       VTEP {vxlan.Vtep}:{vxlan.Port}, VNIs {string.Join(' ', vxlan.Vnis)}, {vxlan.Fdb.Count:N0} learned entries\n");
            foreach (var e in vxlan.Fdb.Take(20))
            {
                sb.Append(inv, $"    vni {e.Vni,-8} {e.Mac}  {(e.Interface is not null ? "dev " + e.Interface : "dst " + e.Vtep),-40} age {e.AgeSeconds:F0} s\n");
            }
            if (vxlan.Fdb.Count > 20) sb.Append(inv, $"    ... {vxlan.Fdb.Count - 20:N0} more (xdpnet stats --json lists all)\n");
        }
        return sb.ToString();
    }

    private static string Rate(long now, long? before, double seconds)
    {
        if (before is not long b || seconds <= 0) return "-";
        var rate = Math.Max(0, now - b) / seconds;
        return rate.ToString("N0", CultureInfo.InvariantCulture);
    }

    private static string Uptime(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return t.TotalDays >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalDays}d{t.Hours:00}h{t.Minutes:00}m")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Hours}h{t.Minutes:00}m{t.Seconds:00}s");
    }
}
