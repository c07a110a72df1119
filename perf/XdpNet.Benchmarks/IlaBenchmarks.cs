using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Xdp.Ila;
using Xdp.Runtime.Wire;

namespace XdpNet.Benchmarks;

/// <summary>
/// ILA translation per packet in each checksum mode: a batch of 64 TCP packets (64-byte payload) to distinct SIR
/// identifiers goes SIR->ILA (prefix check, table lookup in 10k mappings, rewrite) and back ILA->SIR, so the buffers
/// return to their original bytes and every iteration does the same work. Figures are per packet, both directions.
/// </summary>
[MemoryDiagnoser]
public class IlaTranslationBenchmarks
{
    private const int Batch = 64;
    private static readonly ulong SirPrefix = IlaPrefix.Parse("2001:db8:5151::");
    private static readonly ulong Locator = IlaPrefix.Parse("2001:db8:b::");

    private IlaTranslator _sender = IlaTranslator.Empty;
    private IlaTranslator _receiver = IlaTranslator.Empty;
    private byte[][] _packets = [];

    [Params(IlaChecksumMode.NeutralMap, IlaChecksumMode.NeutralMapAuto, IlaChecksumMode.AdjustTransport, IlaChecksumMode.NoAction)]
    public IlaChecksumMode Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var builder = new IlaMappingTableBuilder();
        for (var i = 1; i <= 10_000; i++) builder.Add(new IlaIdentifier((1UL << 48) | (uint)i), Locator, Mode);
        _sender = new IlaTranslator([new IlaDomain(SirPrefix, builder.Build())], []);
        _receiver = new IlaTranslator([], [new IlaLocalLocator(Locator, SirPrefix, Mode)]);
        _packets = new byte[Batch][];
        for (var i = 0; i < Batch; i++) _packets[i] = TcpPacket((1UL << 48) | (uint)(i * 151 + 1));
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int SirToIlaAndBack()
    {
        var translated = 0;
        foreach (var packet in _packets)
        {
            translated += _sender.SirToIla(packet, out _) == IlaTranslationResult.Translated ? 1 : 0;
            translated += _receiver.IlaToSir(packet) == IlaTranslationResult.Translated ? 1 : 0;
        }
        return translated;
    }

    /// <summary>| IPv6 2001:db8:5151::1:0:0:1 -> SIR 2001:db8:5151::&lt;identifier&gt; | TCP 40000 -> 80 | 64 bytes |.</summary>
    private static byte[] TcpPacket(ulong identifier)
    {
        var p = new byte[40 + 20 + 64];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), 84);
        p[6] = 6;
        p[7] = 64;
        BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(8), SirPrefix);
        BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(16), 0x0001_0000_0000_0001UL);
        BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(24), SirPrefix);
        BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(32), identifier);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(40), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(42), 80);
        p[52] = 0x50;
        p[53] = 0x18;
        for (var i = 60; i < p.Length; i++) p[i] = (byte)i;
        var sum = Checksum.PseudoHeaderV6(p.AsSpan(8, 16), p.AsSpan(24, 16), 6, 84);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(56), Checksum.Finish(Checksum.Sum(p.AsSpan(40), sum)));
        return p;
    }
}

/// <summary>
/// Identifier -> locator lookups in tables of 1k and 1M random mappings: 65,536 random hits (and as many misses) per
/// invocation. That many distinct keys touch ~4 MB of table lines, more than the L2 cache, so at 1M entries most probes
/// miss it (1024 keys would stay cached and flatter the 1M case). The cost should stay flat but for cache misses.
/// </summary>
[MemoryDiagnoser]
public class IlaLookupBenchmarks
{
    private const int Lookups = 65_536;
    private IlaMappingTable _table = IlaMappingTable.Empty;
    private ulong[] _hits = [];
    private ulong[] _misses = [];

    [Params(1_000, 1_000_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(5);
        var builder = new IlaMappingTableBuilder();
        var keys = new List<ulong>(Entries);
        while (keys.Count < Entries)
        {
            var key = (ulong)random.NextInt64() | 1;
            if (builder.TryAdd(new IlaIdentifier(key), new IlaMapping((ulong)keys.Count, IlaChecksumMode.AdjustTransport), out _, out _)) keys.Add(key);
        }
        _table = builder.Build();
        _hits = new ulong[Lookups];
        _misses = new ulong[Lookups];
        for (var i = 0; i < Lookups; i++)
        {
            _hits[i] = keys[random.Next(keys.Count)];
            _misses[i] = (ulong)random.NextInt64() & ~1UL; // even keys are never in the table
        }
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public ulong Hit()
    {
        ulong sum = 0;
        foreach (var key in _hits)
        {
            if (_table.TryLookup(key, out var mapping)) sum += mapping.Locator;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public ulong Miss()
    {
        ulong sum = 0;
        foreach (var key in _misses)
        {
            if (_table.TryLookup(key, out var mapping)) sum += mapping.Locator;
        }
        return sum;
    }
}
