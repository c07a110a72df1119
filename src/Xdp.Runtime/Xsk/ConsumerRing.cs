using System.Runtime.CompilerServices;

namespace Xdp.Runtime.Xsk;

/// <summary>
/// The user-space consumer side of an AF_XDP ring (RX and completion rings), after libxdp's xsk.h:
/// the kernel owns <c>producer</c>, we own <c>consumer</c>. The producer index is read with acquire
/// semantics only when the cached view is exhausted; the consumer is published with a release store
/// once per batch.
/// </summary>
public unsafe struct ConsumerRing<T> where T : unmanaged
{
    private readonly uint* _producer;
    private readonly uint* _consumer;
    private readonly uint* _flags;
    private readonly T* _ring;
    private readonly uint _mask;
    private readonly uint _size;
    private uint _cachedProducer;
    private uint _cachedConsumer;

    public ConsumerRing(uint* producer, uint* consumer, uint* flags, T* ring, uint size)
    {
        if (size == 0 || (size & (size - 1)) != 0) throw new ArgumentException("Ring size must be a power of two.", nameof(size));
        _producer = producer;
        _consumer = consumer;
        _flags = flags;
        _ring = ring;
        _size = size;
        _mask = size - 1;
        _cachedProducer = Volatile.Read(ref *producer);
        _cachedConsumer = Volatile.Read(ref *consumer);
    }

    public readonly uint Size => _size;

    /// <summary>Entries available, up to <paramref name="wanted"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Available(uint wanted)
    {
        var entries = _cachedProducer - _cachedConsumer;
        if (entries == 0)
        {
            _cachedProducer = Volatile.Read(ref *_producer);
            entries = _cachedProducer - _cachedConsumer;
        }
        return entries < wanted ? entries : wanted;
    }

    /// <summary>Takes up to <paramref name="wanted"/> entries; the first is at <paramref name="index"/>. Call <see cref="Release"/> when done with them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Peek(uint wanted, out uint index)
    {
        var n = Available(wanted);
        index = _cachedConsumer;
        _cachedConsumer += n;
        return n;
    }

    public readonly ref T this[uint index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _ring[index & _mask];
    }

    /// <summary>Returns <paramref name="count"/> consumed entries to the kernel (release store).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Release(uint count) => Volatile.Write(ref *_consumer, *_consumer + count);

    /// <summary>Un-peeks the last <paramref name="count"/> entries.</summary>
    public void Cancel(uint count) => _cachedConsumer -= count;

    /// <summary>The shared producer index as the kernel last published it (acquire; free-running since the ring was created at 0).</summary>
    public readonly uint ProducerIndex => Volatile.Read(ref *_producer);

    /// <summary>The shared consumer index (ours).</summary>
    public readonly uint ConsumerIndex => Volatile.Read(ref *_consumer);

    public readonly bool NeedsWakeup => (Volatile.Read(ref *_flags) & Interop.IfXdp.XDP_RING_NEED_WAKEUP) != 0;
}
