using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Xdp.Runtime.Interop;
using Xdp.Runtime.Xsk;

namespace XdpNet.Benchmarks;

/// <summary>
/// Ring operations per descriptor: reserve/write/submit on a producer ring and peek/read/release on a consumer
/// ring, in batches of 64, with the "kernel" side advanced in between (same layout as the mapped rings).
/// </summary>
[MemoryDiagnoser]
public unsafe class RingBenchmarks
{
    private const uint Size = 2048;
    private const uint Batch = 64;
    private byte* _mem;
    private ProducerRing<XdpDesc> _tx;
    private ConsumerRing<XdpDesc> _rx;
    private uint* _txConsumer;
    private uint* _rxProducer;

    [GlobalSetup]
    public void Setup()
    {
        _mem = (byte*)NativeMemory.AllocZeroed(2 * (64 + Size * 16));
        var tx = _mem;
        var rx = _mem + 64 + Size * 16;
        _txConsumer = (uint*)(tx + 4);
        _rxProducer = (uint*)rx;
        _tx = new ProducerRing<XdpDesc>((uint*)tx, (uint*)(tx + 4), (uint*)(tx + 8), (XdpDesc*)(tx + 64), Size);
        _rx = new ConsumerRing<XdpDesc>((uint*)rx, (uint*)(rx + 4), (uint*)(rx + 8), (XdpDesc*)(rx + 64), Size);
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.Free(_mem);

    [Benchmark(OperationsPerInvoke = (int)Batch)]
    public uint ProduceBatch()
    {
        var n = _tx.Reserve(Batch, out var idx);
        for (uint i = 0; i < n; i++)
        {
            ref var d = ref _tx[idx + i];
            d.Addr = i * 2048;
            d.Len = 64;
        }
        _tx.Submit(n);
        *_txConsumer += n; // the kernel takes them
        return n;
    }

    [Benchmark(OperationsPerInvoke = (int)Batch)]
    public ulong ConsumeBatch()
    {
        *_rxProducer += Batch; // the kernel delivered a batch
        var n = _rx.Peek(Batch, out var idx);
        ulong sum = 0;
        for (uint i = 0; i < n; i++) sum += _rx[idx + i].Addr;
        _rx.Release(n);
        return sum;
    }
}
