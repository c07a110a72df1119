namespace Xdp.Runtime.Xsk;

/// <summary>
/// Free UMEM frames of the process, as frame base addresses (offsets into the UMEM). A LIFO stack:
/// the most recently freed frame is still warm in cache. Used by the single worker thread only.
/// </summary>
public sealed class FramePool
{
    private readonly ulong[] _free;
    private int _count;

    public FramePool(int frames, int frameSize)
    {
        _free = new ulong[frames];
        FrameSize = frameSize;
        // Hand out low addresses first.
        for (var i = 0; i < frames; i++) _free[i] = (ulong)(frames - 1 - i) * (ulong)frameSize;
        _count = frames;
    }

    public int FrameSize { get; }
    public int Capacity => _free.Length;
    public int Count => _count;

    public bool TryAllocate(out ulong address)
    {
        if (_count == 0)
        {
            address = 0;
            return false;
        }
        address = _free[--_count];
        return true;
    }

    /// <summary>Returns a frame, given any address inside it (aligned chunk mode: the base is the address masked).</summary>
    public void Free(ulong addressInFrame)
    {
        // An overflow here means a frame was freed twice: a bug we want to see, not to hide.
        _free[_count++] = addressInFrame & ~(ulong)(FrameSize - 1);
    }
}
