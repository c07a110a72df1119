using System.Buffers.Binary;
using System.Net;
using BenchmarkDotNet.Attributes;
using Xdp.Runtime.Routing;

namespace XdpNet.Benchmarks;

/// <summary>Longest-prefix match, IPv4 and IPv6, against tables of 10 to 100,000 random prefixes.</summary>
[MemoryDiagnoser]
public class RouteLookupBenchmarks
{
    private const int Lookups = 1024;
    private RouteTable _table = RouteTable.Empty;
    private uint[] _v4 = [];
    private UInt128[] _v6 = [];

    [Params(10, 1_000, 100_000)]
    public int Routes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        var builder = new RouteTableBuilder();
        Span<byte> b = stackalloc byte[16];
        var seen = new HashSet<IPNetwork>();
        for (var i = 0; i < Routes; i++)
        {
            var len4 = rng.Next(8, 33);
            var a = (uint)rng.Next();
            var mask = len4 == 32 ? uint.MaxValue : ~(uint.MaxValue >> len4);
            var net4 = new IPNetwork(new IPAddress(BinaryPrimitives.ReverseEndianness(a & mask)), len4);
            if (seen.Add(net4)) builder.Add(net4, i);
            rng.NextBytes(b);
            b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
            var len6 = rng.Next(32, 129);
            var addr6 = new IPAddress(b);
            var net6 = new IPNetwork(Mask(addr6, len6), len6);
            if (seen.Add(net6)) builder.Add(net6, i);
        }
        _table = builder.Build();
        _v4 = new uint[Lookups];
        _v6 = new UInt128[Lookups];
        for (var i = 0; i < Lookups; i++)
        {
            _v4[i] = (uint)rng.Next();
            rng.NextBytes(b);
            b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
            _v6[i] = System.Runtime.CompilerServices.Unsafe.ReadUnaligned<UInt128>(ref b[0]);
        }
    }

    private static IPAddress Mask(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(length - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPAddress(bytes);
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int LookupV4()
    {
        var hits = 0;
        foreach (var a in _v4) hits += _table.LookupV4(a) >= 0 ? 1 : 0;
        return hits;
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int LookupV6()
    {
        var hits = 0;
        foreach (var a in _v6) hits += _table.LookupV6(a) >= 0 ? 1 : 0;
        return hits;
    }
}
