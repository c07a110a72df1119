using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

/// <summary>Constants of linux/if_xdp.h and the socket options AF_XDP uses, named as in C.</summary>
internal static class IfXdp
{
    internal const int AF_XDP = 44;
    internal const int SOL_XDP = 283;
    internal const int SOL_SOCKET = 1;
    internal const int SOCK_RAW = 3;

    // sxdp_flags
    internal const ushort XDP_SHARED_UMEM = 1 << 0;
    internal const ushort XDP_COPY = 1 << 1;
    internal const ushort XDP_ZEROCOPY = 1 << 2;
    internal const ushort XDP_USE_NEED_WAKEUP = 1 << 3;

    internal const uint XDP_UMEM_UNALIGNED_CHUNK_FLAG = 1 << 0;
    internal const uint XDP_RING_NEED_WAKEUP = 1 << 0;

    // SOL_XDP socket options
    internal const int XDP_MMAP_OFFSETS = 1;
    internal const int XDP_RX_RING = 2;
    internal const int XDP_TX_RING = 3;
    internal const int XDP_UMEM_REG = 4;
    internal const int XDP_UMEM_FILL_RING = 5;
    internal const int XDP_UMEM_COMPLETION_RING = 6;
    internal const int XDP_STATISTICS = 7;
    internal const int XDP_OPTIONS = 8;
    /// <summary>Linux 6.17+: descriptors the copy-mode TX path handles per sendto (default 32). Not in older headers.</summary>
    internal const int XDP_MAX_TX_SKB_BUDGET = 9;

    internal const uint XDP_OPTIONS_ZEROCOPY = 1 << 0;

    // mmap page offsets of the rings
    internal const long XDP_PGOFF_RX_RING = 0;
    internal const long XDP_PGOFF_TX_RING = 0x80000000;
    internal const long XDP_UMEM_PGOFF_FILL_RING = 0x100000000;
    internal const long XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000;

    // SOL_SOCKET busy-poll options (asm-generic/socket.h)
    internal const int SO_BUSY_POLL = 46;
    internal const int SO_PREFER_BUSY_POLL = 69;
    internal const int SO_BUSY_POLL_BUDGET = 70;
}

/// Mirrors struct sockaddr_xdp (linux/if_xdp.h)
[StructLayout(LayoutKind.Sequential)]
internal struct SockaddrXdp
{
    public ushort Family;
    public ushort Flags;
    public uint Ifindex;
    public uint QueueId;
    public uint SharedUmemFd;
}

/// Mirrors struct xdp_ring_offset (linux/if_xdp.h)
[StructLayout(LayoutKind.Sequential)]
internal struct XdpRingOffset
{
    public ulong Producer;
    public ulong Consumer;
    public ulong Desc;
    public ulong Flags;
}

/// Mirrors struct xdp_mmap_offsets (linux/if_xdp.h)
[StructLayout(LayoutKind.Sequential)]
internal struct XdpMmapOffsets
{
    public XdpRingOffset Rx;
    public XdpRingOffset Tx;
    public XdpRingOffset Fr;
    public XdpRingOffset Cr;
}

/// Mirrors struct xdp_umem_reg (linux/if_xdp.h), without the 6.8+ tx_metadata_len tail:
/// the kernel accepts the shorter layout, and Debian 12's headers do not have the field.
[StructLayout(LayoutKind.Sequential)]
internal struct XdpUmemReg
{
    public ulong Addr;
    public ulong Len;
    public uint ChunkSize;
    public uint Headroom;
    public uint Flags;
}

/// Mirrors struct xdp_statistics (linux/if_xdp.h)
[StructLayout(LayoutKind.Sequential)]
public struct XdpStatistics
{
    public ulong RxDropped;
    public ulong RxInvalidDescs;
    public ulong TxInvalidDescs;
    public ulong RxRingFull;
    public ulong RxFillRingEmptyDescs;
    public ulong TxRingEmptyDescs;
}

/// Mirrors struct xdp_options (linux/if_xdp.h)
[StructLayout(LayoutKind.Sequential)]
internal struct XdpOptions
{
    public uint Flags;
}

/// Mirrors struct xdp_desc (linux/if_xdp.h)
[StructLayout(LayoutKind.Sequential)]
public struct XdpDesc
{
    public ulong Addr;
    public uint Len;
    public uint Options;
}
