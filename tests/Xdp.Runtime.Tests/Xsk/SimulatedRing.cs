using System.Runtime.InteropServices;
using Xdp.Runtime.Xsk;

namespace Xdp.Runtime.Tests.Xsk;

/// <summary>
/// The kernel side of a ring, simulated in native memory: the same layout the kernel maps (producer,
/// consumer, flags, descriptors), so the C# rings are exercised exactly as against a socket.
/// </summary>
internal sealed unsafe class SimulatedRing<T> : IDisposable where T : unmanaged
{
    private readonly byte* _mem;

    public SimulatedRing(uint size, uint startIndex)
    {
        Size = size;
        _mem = (byte*)NativeMemory.AllocZeroed((nuint)(64 + size * sizeof(T)));
        *Producer = startIndex;
        *Consumer = startIndex;
    }

    public uint Size { get; }
    public uint* Producer => (uint*)_mem;
    public uint* Consumer => (uint*)(_mem + 4);
    public uint* Flags => (uint*)(_mem + 8);
    public T* Descs => (T*)(_mem + 64);
    public ref T Slot(uint index) => ref Descs[index & (Size - 1)];

    public ProducerRing<T> UserProducer() => new(Producer, Consumer, Flags, Descs, Size);
    public ConsumerRing<T> UserConsumer() => new(Producer, Consumer, Flags, Descs, Size);

    /// <summary>Kernel consumes up to <paramref name="max"/> entries the user produced; returns them.</summary>
    public List<T> KernelConsume(int max)
    {
        var taken = new List<T>();
        while (taken.Count < max && *Consumer != Volatile.Read(ref *Producer))
        {
            taken.Add(Slot(*Consumer));
            (*Consumer)++;
        }
        return taken;
    }

    /// <summary>Kernel produces entries for the user while there is room; returns how many.</summary>
    public int KernelProduce(IEnumerable<T> items)
    {
        var n = 0;
        foreach (var item in items)
        {
            if (*Producer - Volatile.Read(ref *Consumer) == Size) break;
            Slot(*Producer) = item;
            (*Producer)++;
            n++;
        }
        return n;
    }

    public void Dispose() => NativeMemory.Free(_mem);
}
