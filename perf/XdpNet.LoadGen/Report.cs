using System.Globalization;
using System.Text.Json;
using XdpNet.LoadGen.Gen;
using XdpNet.LoadGen.Sink;

namespace XdpNet.LoadGen;

/// <summary>Human-readable and JSON renderings of the results (JSON is one object on stdout).</summary>
internal static class Report
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    public static string Text(GenResult r) =>
        Inv($"sent {r.Packets} frames in {r.Seconds:F2} s = {r.PacketsPerSecond / 1e6:F3} Mpps ({r.BitsPerSecond / 1e9:F2} Gbit/s L2)") +
        Inv($" interface={r.Interface} size={r.Size} {r.Src} -> {r.Dst} flows={r.Flows} batch={r.Batch}") +
        Inv($" cpu={(r.Cpu is int c ? c.ToString(CultureInfo.InvariantCulture) : "any")} calls={r.Calls} tx_dropped={r.TxDropped}") +
        (r.Interrupted ? " (interrupted: the last call's frames are not counted)" : "");

    public static string Text(SinkSample s, int number) =>
        Inv($"{number,4} {s.End,8:F2} s {s.Packets,12} pkts {s.PacketsPerSecond / 1e6,9:F3} Mpps");

    public static string Text(SinkResult r) =>
        Inv($"steady {r.Steady.PacketsPerSecond / 1e6:F3} Mpps (samples {r.Steady.First}-{r.Steady.Last})") +
        Inv($" total {r.TotalPackets} pkts {r.TotalBytes} bytes interface={r.Interface} action={r.Action} attach={r.Attach}") +
        (r.Interrupted ? " (interrupted)" : "");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    public static string Json(GenResult r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Indented))
        {
            w.WriteStartObject();
            w.WriteString("mode", "gen");
            w.WriteString("interface", r.Interface);
            w.WriteNumber("ifindex", r.Ifindex);
            w.WriteString("srcMac", r.SrcMac);
            w.WriteString("dstMac", r.DstMac);
            w.WriteString("src", r.Src);
            w.WriteString("dst", r.Dst);
            w.WriteNumber("size", r.Size);
            w.WriteNumber("flows", r.Flows);
            w.WriteNumber("batch", r.Batch);
            if (r.Cpu is int cpu)
                w.WriteNumber("cpu", cpu);
            else
                w.WriteNull("cpu");
            w.WriteNumber("packets", r.Packets);
            w.WriteNumber("seconds", Math.Round(r.Seconds, 6));
            w.WriteNumber("pps", Math.Round(r.PacketsPerSecond, 1));
            w.WriteNumber("bitsPerSecond", Math.Round(r.BitsPerSecond));
            w.WriteNumber("calls", r.Calls);
            w.WriteNumber("txDropped", r.TxDropped);
            w.WriteBoolean("interrupted", r.Interrupted);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public static string Json(SinkResult r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Indented))
        {
            w.WriteStartObject();
            w.WriteString("mode", "sink");
            w.WriteString("interface", r.Interface);
            w.WriteString("action", r.Action);
            w.WriteString("attach", r.Attach);
            if (r.Cpu is int cpu)
                w.WriteNumber("cpu", cpu);
            else
                w.WriteNull("cpu");
            w.WriteNumber("steadyPps", Math.Round(r.Steady.PacketsPerSecond, 1));
            w.WriteNumber("steadyFirst", r.Steady.First);
            w.WriteNumber("steadyLast", r.Steady.Last);
            w.WriteNumber("totalPackets", r.TotalPackets);
            w.WriteNumber("totalBytes", r.TotalBytes);
            w.WriteBoolean("interrupted", r.Interrupted);
            w.WriteStartArray("samples");
            foreach (SinkSample s in r.Samples)
            {
                w.WriteStartObject();
                w.WriteNumber("end", Math.Round(s.End, 6));
                w.WriteNumber("interval", Math.Round(s.Interval, 6));
                w.WriteNumber("packets", s.Packets);
                w.WriteNumber("bytes", s.Bytes);
                w.WriteNumber("pps", Math.Round(s.PacketsPerSecond, 1));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
