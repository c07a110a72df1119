namespace XdpNet.LoadGen.Sink;

internal sealed record SinkOptions(string Interface, double DurationSeconds, bool Pass, bool SkbMode, int? Cpu);

/// <summary>One sampling interval of the sink's counters.</summary>
internal readonly record struct SinkSample(double End, double Interval, ulong Packets, ulong Bytes)
{
    public double PacketsPerSecond => Interval > 0 ? Packets / Interval : 0;
}

internal sealed record SinkResult(
    string Interface,
    string Action,
    string Attach,
    int? Cpu,
    IReadOnlyList<SinkSample> Samples,
    SteadyState Steady,
    ulong TotalPackets,
    ulong TotalBytes,
    bool Interrupted);
