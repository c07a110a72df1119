using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class LibBpf
    {
        /// <summary>BPF_PROG_RUN flag (linux/bpf.h): run XDP on real page-pool frames and act on the verdict (XDP_TX/REDIRECT transmit).</summary>
        internal const uint BPF_F_TEST_XDP_LIVE_FRAMES = 1U << 1;

        /// Mirrors struct bpf_test_run_opts (bpf/bpf.h, libbpf 1.1.2); <see cref="Size"/> must be sizeof so libbpf
        /// knows which fields the caller has.
        [StructLayout(LayoutKind.Sequential)]
        internal struct BpfTestRunOpts
        {
            public nuint Size;
            public void* DataIn;
            public void* DataOut;
            public uint DataSizeIn;
            public uint DataSizeOut;
            public void* CtxIn;
            public void* CtxOut;
            public uint CtxSizeIn;
            public uint CtxSizeOut;
            public uint Retval;
            public int Repeat;
            public uint Duration;
            public uint Flags;
            public uint Cpu;
            public uint BatchSize;
        }

        /// Mirrors struct xdp_md (linux/bpf.h): the ctx_in of an XDP test run. data must be 0 and data_end the
        /// frame length; ingress_ifindex names the device XDP_TX transmits on in live-frames mode.
        [StructLayout(LayoutKind.Sequential)]
        internal struct XdpMd
        {
            public uint Data;
            public uint DataEnd;
            public uint DataMeta;
            public uint IngressIfindex;
            public uint RxQueueIndex;
            public uint EgressIfindex;
        }

        /// <summary>BPF_PROG_RUN. Returns 0, or a negative errno on failure (libbpf 1.x).</summary>
        [LibraryImport(Libraries.LibBpf, EntryPoint = "bpf_prog_test_run_opts")]
        internal static partial int ProgTestRunOpts(int progFd, BpfTestRunOpts* opts);
    }
}
