namespace Xdp.Filter.Conntrack;

/// <summary>
/// Counters of one table, written only by the worker and read by the stats server (plain 64-bit fields, as the
/// other stages' counters).
/// </summary>
public sealed class ConntrackCounters
{
    /// <summary>Flows created (reopened TCP flows included).</summary>
    public long Created;
    /// <summary>Packets of a live flow (<see cref="ConntrackVerdict.Established"/>).</summary>
    public long Hits;
    /// <summary>ICMP errors related to a live flow.</summary>
    public long Related;
    /// <summary>Flows removed after their timeout: found expired at lookup, swept, or their slot reused.</summary>
    public long Expired;
    /// <summary>Live, not yet assured flows removed to make room for a new one.</summary>
    public long Evicted;
    /// <summary>New flows not created: both candidate groups full of live assured flows.</summary>
    public long Full;
    /// <summary>Packets answered <see cref="ConntrackVerdict.Invalid"/>.</summary>
    public long Invalid;
    /// <summary>Flows in the table (expired ones not yet reclaimed included).</summary>
    public long Entries;
}
