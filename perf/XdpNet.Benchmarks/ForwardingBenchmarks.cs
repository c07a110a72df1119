using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Xdp.Runtime.Pipeline;
using XdpNet.Pipeline;

namespace XdpNet.Benchmarks;

/// <summary>
/// The per-packet forwarding path (Ethernet + IPv4 checks, LPM, TTL decrement with incremental checksum, MAC
/// rewrite) over a batch of 64 frames laid out like UMEM frames. Each operation first restores the batch from a
/// pristine copy (the TTL would run out otherwise); <see cref="RestoreOnly"/> measures that copy alone.
/// </summary>
[MemoryDiagnoser]
public unsafe class ForwardingBenchmarks
{
    private const int Batch = 64;
    private const int FrameSize = 2048;
    private byte* _umem;
    private byte* _pristine;
    private HostPipeline _pipeline;

    [Params(64, 1500)]
    public int FrameLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _umem = (byte*)NativeMemory.AlignedAlloc(Batch * FrameSize, 4096);
        _pristine = (byte*)NativeMemory.AlignedAlloc(Batch * FrameSize, 4096);
        for (var i = 0; i < Batch; i++)
        {
            var f = BenchmarkFrames.Udp4(FrameLength, (byte)(i + 2));
            f.CopyTo(new Span<byte>(_pristine + i * FrameSize + 256, f.Length));
        }
        _pipeline = new HostPipeline(BenchmarkFrames.Router(1000));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_umem);
        NativeMemory.AlignedFree(_pristine);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int RestoreOnly()
    {
        Restore();
        return _umem[300];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int ForwardBatch()
    {
        Restore();
        var tx = 0;
        for (var i = 0; i < Batch; i++)
        {
            var ctx = new PacketContext(_umem + i * FrameSize + 256, FrameLength, 256, FrameSize - 256 - FrameLength, 0);
            if (_pipeline.Process(ref ctx) == Verdict.Tx) tx++;
        }
        return tx;
    }

    private void Restore()
    {
        // Only the headers change: restore the first 64 bytes of each frame.
        for (var i = 0; i < Batch; i++) Buffer.MemoryCopy(_pristine + i * FrameSize + 256, _umem + i * FrameSize + 256, 64, 64);
    }
}
