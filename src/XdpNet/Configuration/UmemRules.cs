namespace XdpNet.Configuration;

/// <summary>Layout facts of a UMEM frame shared by validation, the live host and replay.</summary>
public static class UmemRules
{
    /// <summary>XDP_PACKET_HEADROOM (linux/bpf.h): the kernel places received data this far after the frame's own headroom.</summary>
    public const int XdpPacketHeadroom = 256;

    /// <summary>Destination MAC, source MAC, ethertype.</summary>
    public const int EthernetHeader = 14;

    /// <summary>A standard 1500-byte-MTU Ethernet frame without FCS; every frame must hold one.</summary>
    public const int StandardFrame = 1500 + EthernetHeader;

    /// <summary>XDP_UMEM_MIN_CHUNK_SIZE (net/xdp/xdp_umem.c).</summary>
    public const int MinFrameSize = 2048;

    /// <summary>Largest UMEM we accept: offsets stay non-negative 32-bit numbers and the mapping stays reasonable.</summary>
    public const long MaxUmemBytes = 1L << 31;

    /// <summary>Offset of the packet's first byte inside its frame: the kernel's headroom, then ours (Umem:Headroom).</summary>
    public static int DataOffset(UmemConfig umem) => XdpPacketHeadroom + umem.Headroom;
}
