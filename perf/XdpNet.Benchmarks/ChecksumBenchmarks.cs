using BenchmarkDotNet.Attributes;
using Xdp.Runtime.Wire;

namespace XdpNet.Benchmarks;

/// <summary>
/// One's-complement sum: the scalar reference, the Vector128 and Vector256 tiers and the dispatching
/// <see cref="Checksum.Sum"/>, from an IPv4 header (20 bytes) to a jumbo frame (9000). Odd start offset on
/// purpose: frames in UMEM start after headroom, not on a vector boundary.
/// </summary>
[MemoryDiagnoser]
public class ChecksumBenchmarks
{
    private byte[] _buffer = [];

    [Params(20, 64, 1500, 9000)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _buffer = new byte[Length + 1];
        new Random(1071).NextBytes(_buffer);
    }

    private ReadOnlySpan<byte> Data => _buffer.AsSpan(1, Length);

    [Benchmark(Baseline = true)]
    public ushort Scalar() => Checksum.Fold(Checksum.SumScalar(Data));

    [Benchmark]
    public ushort Vector128() => Checksum.Fold(Checksum.SumVector128(Data, 0));

    [Benchmark]
    public ushort Vector256() => Checksum.Fold(Checksum.SumVector256(Data, 0));

    [Benchmark]
    public ushort Dispatched() => Checksum.Fold(Checksum.Sum(Data));
}
