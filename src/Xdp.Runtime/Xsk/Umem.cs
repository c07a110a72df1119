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

    public ulong FrameMask => ~(ulong)(FrameSize - 1);

    public void Dispose() => Region.Dispose();
}
