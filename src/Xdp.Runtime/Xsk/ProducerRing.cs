using System.Runtime.CompilerServices;

namespace Xdp.Runtime.Xsk;

/// <summary>
/// The user-space producer side of an AF_XDP ring (fill and TX rings), after libxdp's xsk.h:
/// we own <c>producer</c>, the kernel owns <c>consumer</c>. Indices are free-running 32-bit counters
/// (wrap-around is harmless: only differences are used); slots are index &amp; mask.
/// <c>cachedConsumer</c> is kept <c>size</c> ahead so <c>cachedConsumer - cachedProducer</c> is the free count
/// without a read of shared memory per call.
/// </summary>
public unsafe struct ProducerRing<T> where T : unmanaged
{
    private readonly uint* _producer;
    private readonly uint* _consumer;
    private readonly uint* _flags;
    private readonly T* _ring;
    private readonly uint _mask;
    private readonly uint _size;
    private uint _cachedProducer;
    private uint _cachedConsumer;

    public ProducerRing(uint* producer, uint* consumer, uint* flags, T* ring, uint size)
    {
        if (size == 0 || (size & (size - 1)) != 0) throw new ArgumentException("Ring size must be a power of two.", nameof(size));
        _producer = producer;
        _consumer = consumer;
        _flags = flags;
        _ring = ring;
        _size = size;
        _mask = size - 1;
        _cachedProducer = Volatile.Read(ref *producer);
        _cachedConsumer = Volatile.Read(ref *consumer) + size;
    }

    public readonly uint Size => _size;

    /// <summary>Free slots, refreshing the cached consumer index (acquire) only when fewer than <paramref name="wanted"/> are known free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint FreeCount(uint wanted)
    {
        var free = _cachedConsumer - _cachedProducer;
        if (free >= wanted) return free;
        _cachedConsumer = Volatile.Read(ref *_consumer) + _size;
        return _cachedConsumer - _cachedProducer;
    }

    /// <summary>Reserves up to <paramref name="wanted"/> slots (fewer when the ring is fuller); the first is at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Reserve(uint wanted, out uint index)
    {
        var free = FreeCount(wanted);
        var n = free < wanted ? free : wanted;
        index = _cachedProducer;
        _cachedProducer += n;
        return n;
    }

    /// <summary>The slot for a reserved index.</summary>
    public readonly ref T this[uint index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _ring[index & _mask];
    }

    /// <summary>Publishes <paramref name="count"/> reserved slots to the kernel (release store).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Submit(uint count) => Volatile.Write(ref *_producer, *_producer + count);

    /// <summary>Gives back reserved but unsubmitted slots (the last <paramref name="count"/> reserved).</summary>
    public void Cancel(uint count) => _cachedProducer -= count;

    /// <summary>True when the kernel asked to be woken (XDP_RING_NEED_WAKEUP) to process this ring.</summary>
    public readonly bool NeedsWakeup => (Volatile.Read(ref *_flags) & Interop.IfXdp.XDP_RING_NEED_WAKEUP) != 0;

    /// <summary>Entries submitted but not yet consumed by the kernel.</summary>
    public readonly uint Outstanding => *_producer - Volatile.Read(ref *_consumer);

    /// <summary>The shared producer index (ours; free-running since the ring was created at 0).</summary>
    public readonly uint ProducerIndex => Volatile.Read(ref *_producer);

    /// <summary>The shared consumer index as the kernel last published it (acquire).</summary>
    public readonly uint ConsumerIndex => Volatile.Read(ref *_consumer);
}
