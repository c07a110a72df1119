using System.Diagnostics;
using System.Runtime.InteropServices;
using Xdp.Runtime.Interop;
using XdpNet.LoadGen.Bpf;
using XdpNet.LoadGen.Host;

namespace XdpNet.LoadGen.Gen;

/// <summary>
/// Time-bounded UDP generator: BPF_PROG_RUN of xdp-gen with BPF_F_TEST_XDP_LIVE_FRAMES. The kernel runs the
/// program once per frame and, on XDP_TX, transmits the frame out of ctx_in.ingress_ifindex, so frames leave
/// through <see cref="GenOptions.Interface"/> toward its peer. A veth peer only takes them if it has NAPI
/// (an XDP program or GRO on); otherwise the kernel drops them and counts tx_dropped here.
/// </summary>
internal static unsafe class LiveFrameGenerator
{
    private const int HeaderBytes = 64;        // struct gen_config.header in xdp-gen.bpf.c
    private const ushort SourcePortBase = 49152; // RFC 6335 dynamic range; flows count up from here
    private const int FirstCallFrames = 1 << 16;
    // Each BPF_PROG_RUN call sets up a page pool and waits for an RCU grace period on teardown: with short
    // calls the thread sleeps a large share of the time. Calls of about half a second amortise that.
    private const double CallSeconds = 0.5;

    /// Mirrors struct gen_config (perf/bpf/xdp-gen.bpf.c).
    [StructLayout(LayoutKind.Sequential)]
    private struct GenConfig
    {
        public fixed byte Header[HeaderBytes];
        public uint Flows;
        public ushort SportBase;
        public ushort Reserved;
    }

    public static GenResult Run(GenOptions o, StopSignal stop)
    {
        var device = NetDevice.Open(o.Interface);
        byte[] srcMac = o.SrcMac ?? device.Mac;
        byte[] dstMac = o.DstMac ?? device.FindPeerMac() ?? throw new LoadGenException(
            $"--dst-mac is required: the peer of {o.Interface} is not in this namespace and no single neighbour entry names it");

        byte[] frame = UdpFrameBuilder.Build(o.Size, srcMac, dstMac, o.Src, o.Dst, SourcePortBase, o.UdpPort);

        if (o.Cpu is int cpu)
            CpuPinning.PinCurrentThread(cpu);

        using BpfObjectFile bpf = BpfObjectFile.Load("xdp-gen.bpf.o");
        int progFd = bpf.ProgramFd("xdp_gen");
        WriteConfig(bpf.MapFd("gen_config"), frame, o.Flows);

        ulong droppedBefore = device.TxDropped;
        ulong packets = 0;
        int calls = 0;
        bool interrupted = false;
        var clock = Stopwatch.StartNew();
        fixed (byte* data = frame)
        {
            var ctx = new Interop.LibBpf.XdpMd
            {
                DataEnd = (uint)frame.Length,
                IngressIfindex = (uint)device.Index,
            };
            long repeat = FirstCallFrames;
            while (!stop.IsSet)
            {
                var opts = new Interop.LibBpf.BpfTestRunOpts
                {
                    Size = (nuint)sizeof(Interop.LibBpf.BpfTestRunOpts),
                    DataIn = data,
                    DataSizeIn = (uint)frame.Length,
                    CtxIn = &ctx,
                    CtxSizeIn = (uint)sizeof(Interop.LibBpf.XdpMd),
                    Repeat = (int)repeat,
                    Flags = Interop.LibBpf.BPF_F_TEST_XDP_LIVE_FRAMES,
                    BatchSize = (uint)o.Batch,
                };
                double callStart = clock.Elapsed.TotalSeconds;
                int rc = Interop.LibBpf.ProgTestRunOpts(progFd, &opts);
                if (rc == -Interop.Libc.EINTR)
                {
                    // A signal aborts the run part-way; the kernel does not say how many frames went out.
                    interrupted = true;
                    break;
                }
                if (rc < 0)
                    throw LoadGenException.FromErrno($"BPF_PROG_RUN (live frames) on {o.Interface}", -rc);

                packets += (ulong)repeat;
                calls++;
                double now = clock.Elapsed.TotalSeconds;
                double remaining = o.DurationSeconds - now;
                if (remaining <= 0.001)
                    break;
                // Size the next call from the rate of this one, ending the run on the duration.
                double rate = repeat / Math.Max(now - callStart, 1e-6);
                repeat = (long)Math.Clamp(rate * Math.Min(CallSeconds, remaining), 1, int.MaxValue);
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;

        return new GenResult(o.Interface, device.Index, NetDevice.FormatMac(srcMac), NetDevice.FormatMac(dstMac),
            o.Src.ToString(), o.Dst.ToString(), o.Size, o.Flows, o.Batch, o.Cpu, packets, seconds, calls,
            device.TxDropped - droppedBefore, interrupted);
    }

    private static void WriteConfig(int mapFd, byte[] frame, int flows)
    {
        var config = new GenConfig { Flows = (uint)flows, SportBase = SourcePortBase };
        frame.AsSpan(0, HeaderBytes).CopyTo(new Span<byte>(config.Header, HeaderBytes));
        uint key = 0;
        int rc = Interop.LibBpf.MapUpdateElem(mapFd, &key, &config, 0);
        if (rc < 0)
            throw LoadGenException.FromErrno("bpf_map_update_elem(gen_config)", -rc);
    }
}
