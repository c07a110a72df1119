namespace Xdp.Runtime.Xsk;

/// <summary>
/// The packet memory shared by every AF_XDP socket of the process (XDP_SHARED_UMEM): a frame received on
/// one interface is transmitted on another by handing its address to that socket's TX ring, with no copy.
/// Registered with the kernel on the first socket created (<see cref="XskSocket"/>).
/// </summary>
public sealed unsafe class Umem : IDisposable
{
    public Umem(int frames, int frameSize, int headroom)
    {
        if (frameSize <= 0 || (frameSize & (frameSize - 1)) != 0) throw new ArgumentException("Frame size must be a power of two.", nameof(frameSize));
        if (frames <= 0) throw new ArgumentOutOfRangeException(nameof(frames));
        Frames = frames;
        FrameSize = frameSize;
        Headroom = headroom;
        Region = MappedRegion.Anonymous((nuint)frames * (nuint)frameSize);
        Pool = new FramePool(frames, frameSize);
    }

    public int Frames { get; }
    public int FrameSize { get; }
    /// <summary>Bytes the kernel leaves free before each received packet (XDP_UMEM_REG headroom).</summary>
    public int Headroom { get; }
    public MappedRegion Region { get; }
    public byte* Base => Region.Pointer;
    public FramePool Pool { get; }
    /// <summary>The socket the UMEM was registered on; later sockets share it through this fd.</summary>
    public XskSocket? Owner { get; internal set; }

    /// <summary>
    /// Before the owner socket closes while others stay (an interface removed live): later sockets bind with
    /// XDP_SHARED_UMEM through <paramref name="successor"/>, any socket bound on this UMEM; null when none is left (the
    /// next socket registers the region again).
    /// </summary>
    public void TransferOwnership(XskSocket? successor)
    {
        if (successor is not null && successor.Umem != this) throw new ArgumentException("The successor is bound on another UMEM.", nameof(successor));
        Owner = successor;
    }

    public ulong FrameMask => ~(ulong)(FrameSize - 1);

    public void Dispose() => Region.Dispose();
}
