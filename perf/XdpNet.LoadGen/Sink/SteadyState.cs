namespace XdpNet.LoadGen.Sink;

/// <summary>
/// The steady-state rate of a run sampled once per second: the mean of the "middle seconds". The active
/// window is the first to the last sample above 1 % of the peak (the sink starts before and stops after the
/// traffic); its first and last samples are partial seconds and are dropped, and of a window of 5 or more
/// one more leading sample is dropped as warm-up. First and Last are 1-based sample numbers; 0/0 = no traffic.
/// </summary>
internal readonly record struct SteadyState(double PacketsPerSecond, int First, int Last)
{
    public static SteadyState Of(IReadOnlyList<SinkSample> samples)
    {
        double peak = 0;
        foreach (SinkSample s in samples)
            peak = Math.Max(peak, s.PacketsPerSecond);
        if (peak <= 0)
            return default;

        int first = 0;
        while (samples[first].PacketsPerSecond < peak / 100)
            first++;
        int last = samples.Count - 1;
        while (samples[last].PacketsPerSecond < peak / 100)
            last--;

        int active = last - first + 1;
        if (active >= 3)
        {
            first++;
            last--;
        }
        if (active >= 5)
            first++;

        ulong packets = 0;
        double seconds = 0;
        for (int i = first; i <= last; i++)
        {
            packets += samples[i].Packets;
            seconds += samples[i].Interval;
        }
        return new SteadyState(packets / seconds, first + 1, last + 1);
    }
}
