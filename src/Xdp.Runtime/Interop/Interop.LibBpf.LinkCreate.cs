using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class LibBpf
    {
        /// <summary>enum bpf_attach_type (linux/bpf.h): attach an XDP program through a BPF link.</summary>
        internal const int BPF_XDP = 37;

        // XDP attach flags (linux/if_link.h)
        internal const uint XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0;
        internal const uint XDP_FLAGS_SKB_MODE = 1 << 1;
        internal const uint XDP_FLAGS_DRV_MODE = 1 << 2;
        internal const uint XDP_FLAGS_HW_MODE = 1 << 3;

        /// Mirrors the head of struct bpf_link_create_opts (bpf/bpf.h) up to flags. libbpf reads only the
        /// first <see cref="Size"/> bytes, so the newer fields (iterator, kprobe, cookie) stay zero.
        [StructLayout(LayoutKind.Sequential)]
        internal struct BpfLinkCreateOpts
        {
            public nuint Size;
            public uint Flags;
            private readonly uint _padding;
        }

        /// <summary>Returns the link fd, or a negative errno on failure (libbpf 1.x).</summary>
        [LibraryImport(Libraries.LibBpf, EntryPoint = "bpf_link_create")]
        internal static partial int LinkCreate(int progFd, int targetFd, int attachType, BpfLinkCreateOpts* opts);
    }
}
