using System.Diagnostics;
using System.Runtime.InteropServices;
using Xdp.Runtime.Interop;
using XdpNet.LoadGen.Bpf;
using XdpNet.LoadGen.Host;

namespace XdpNet.LoadGen.Sink;

/// <summary>
/// Attaches xdp-sink to an interface through a BPF link (the kernel detaches it when the link fd closes,
/// even if this process dies) and samples its per-CPU counters once per second.
/// </summary>
internal static unsafe class XdpCounterSink
{
    /// Mirrors struct sink_counters (perf/bpf/xdp-sink.bpf.c).
    [StructLayout(LayoutKind.Sequential)]
    private struct SinkCounters
    {
        public ulong Packets;
        public ulong Bytes;
    }

    /// <param name="ready">Called once the program is attached and counting.</param>
    public static SinkResult Run(SinkOptions o, StopSignal stop, Action<string> ready, Action<SinkSample>? onSample)
    {
        var device = NetDevice.Open(o.Interface);
        if (o.Cpu is int cpu)
            CpuPinning.PinCurrentThread(cpu);

        using BpfObjectFile bpf = BpfObjectFile.Load("xdp-sink.bpf.o");
        int progFd = bpf.ProgramFd(o.Pass ? "xdp_sink_pass" : "xdp_sink_drop");
        int mapFd = bpf.MapFd("sink_counters");
        int cpus = Interop.LibBpf.NumPossibleCpus();
        if (cpus <= 0)
            throw LoadGenException.FromErrno("libbpf_num_possible_cpus", -cpus);
        var perCpu = new SinkCounters[cpus];

        var linkOpts = new Interop.LibBpf.BpfLinkCreateOpts
        {
            Size = (nuint)sizeof(Interop.LibBpf.BpfLinkCreateOpts),
            Flags = o.SkbMode ? Interop.LibBpf.XDP_FLAGS_SKB_MODE : Interop.LibBpf.XDP_FLAGS_DRV_MODE,
        };
        int linkFd = Interop.LibBpf.LinkCreate(progFd, device.Index, Interop.LibBpf.BPF_XDP, &linkOpts);
        if (linkFd < 0)
            throw LoadGenException.FromErrno($"attaching XDP ({(o.SkbMode ? "skb" : "native")}) to {o.Interface}", -linkFd);

        var samples = new List<SinkSample>((int)Math.Ceiling(o.DurationSeconds) + 1);
        bool interrupted = false;
        try
        {
            var clock = Stopwatch.StartNew();
            (ulong packets, ulong bytes) last = Read(mapFd, perCpu);
            double lastTime = 0;
            ready($"ready interface={o.Interface} ifindex={device.Index} action={(o.Pass ? "pass" : "drop")}");

            while (lastTime < o.DurationSeconds)
            {
                // Tick on whole seconds of the run's clock (or on the end of the duration) so drift does not accumulate.
                double next = Math.Min(Math.Floor(lastTime + 1e-9) + 1, o.DurationSeconds);
                for (double wait; !interrupted && (wait = next - clock.Elapsed.TotalSeconds) > 0;)
                {
                    // Round up: a wait truncated to whole milliseconds would wake just before the tick.
                    interrupted = stop.Wait(TimeSpan.FromMilliseconds(Math.Ceiling(wait * 1000)));
                }

                double now = clock.Elapsed.TotalSeconds;
                (ulong packets, ulong bytes) current = Read(mapFd, perCpu);
                var sample = new SinkSample(now, now - lastTime, current.packets - last.packets, current.bytes - last.bytes);
                samples.Add(sample);
                onSample?.Invoke(sample);
                last = current;
                lastTime = now;
                if (interrupted)
                    break;
            }
            return new SinkResult(o.Interface, o.Pass ? "pass" : "drop", o.SkbMode ? "skb" : "native", o.Cpu, samples,
                SteadyState.Of(samples), last.packets, last.bytes, interrupted);
        }
        finally
        {
            Interop.LibBpf.LinkDetach(linkFd);
            Interop.Libc.Close(linkFd);
        }
    }

    private static (ulong Packets, ulong Bytes) Read(int mapFd, SinkCounters[] perCpu)
    {
        uint key = 0;
        fixed (SinkCounters* values = perCpu)
        {
            int rc = Interop.LibBpf.MapLookupElem(mapFd, &key, values);
            if (rc < 0)
                throw LoadGenException.FromErrno("bpf_map_lookup_elem(sink_counters)", -rc);
        }
        ulong packets = 0, bytes = 0;
        foreach (SinkCounters c in perCpu)
        {
            packets += c.Packets;
            bytes += c.Bytes;
        }
        return (packets, bytes);
    }
}
