using BenchmarkDotNet.Attributes;
using Xdp.Filter.Conntrack;
using Xdp.Runtime.Wire;

namespace XdpNet.Benchmarks;

/// <summary>
/// Connection tracking per packet at 1k and 1M tracked flows (table at most half full): a hit (packet of a tracked
/// flow, state and counters updated), a miss (a packet that could start a flow), a miss + create + remove cycle,
/// and parse + track of raw IPv4 TCP bytes (established connections). Flows are picked at random so the 1M case pays the cache misses a real
/// table does.
/// </summary>
[MemoryDiagnoser]
public class ConntrackBenchmarks
{
    private const int Batch = 1024;
    private const long Now = 1_000;

    private ConntrackTable _table = null!;
    private ConntrackPacket[] _hits = [];
    private ConntrackPacket[] _misses = [];
    private byte[][] _rawHits = [];

    [Params(1_000, 1_000_000)]
    public int Flows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var capacity = 1 << (int)Math.Ceiling(Math.Log2(Flows * 2.0));
        _table = new ConntrackTable(new ConntrackSettings(Capacity: Math.Max(capacity, ConntrackSettings.MinCapacity)));
        var flows = new ConntrackPacket[Flows];
        for (var i = 0; i < Flows; i++)
        {
            flows[i] = i % 2 == 0 ? TcpSyn(i) : Udp6(i);
            if (_table.Create(flows[i], 0) != ConntrackVerdict.New) throw new InvalidOperationException($"flow {i} not created");
            if (i % 2 != 0) continue;
            // Complete the handshake: the raw-bytes case tracks segments of established connections.
            var synAck = new ConntrackPacket(flows[i].Tuple.Reversed(), ConntrackPacketKind.Tcp, 60, TcpHeader.Flag.Syn | TcpHeader.Flag.Ack);
            var ack = new ConntrackPacket(flows[i].Tuple, ConntrackPacketKind.Tcp, 52, TcpHeader.Flag.Ack);
            if (_table.Track(synAck, 0, out _) != ConntrackVerdict.Established || _table.Track(ack, 0, out _) != ConntrackVerdict.Established)
            {
                throw new InvalidOperationException($"flow {i} not established");
            }
        }
        var rng = new Random(5);
        _hits = new ConntrackPacket[Batch];
        _rawHits = new byte[Batch][];
        for (var i = 0; i < Batch; i++)
        {
            var flow = rng.Next(Flows / 2) * 2; // TCP flows: the raw-bytes case builds the same segment
            _hits[i] = Udp6(flow + 1);
            _rawHits[i] = RawTcp(flow, TcpHeader.Flag.Ack);
        }
        _misses = new ConntrackPacket[Batch];
        for (var i = 0; i < Batch; i++) _misses[i] = Udp6(Flows + 1 + (2 * i));
    }

    /// <summary>Client ClientV4(i):(10000 + i % 50000) -> 198.19.255.1:80, SYN.</summary>
    private static ConntrackPacket TcpSyn(int i) =>
        new(FlowTuple.Ipv4(ClientV4(i), 0x01FF_13C6, IpProtocol.Tcp, (ushort)(10000 + (i % 50000)), 80), ConntrackPacketKind.Tcp, 60, TcpHeader.Flag.Syn);

    /// <summary>2001:db8::/32 client i -> 2001:db8::53 port 53, UDP.</summary>
    private static ConntrackPacket Udp6(int i)
    {
        var client = new UInt128(((ulong)(uint)i << 32) | 0x0100, 0x0000_0000_B80D_0120);
        var server = new UInt128(0x5300_0000_0000_0000, 0x0000_0000_B80D_0120);
        return new(FlowTuple.Ipv6(client, server, IpProtocol.Udp, 5000, 53), ConntrackPacketKind.Udp, 100);
    }

    /// <summary>Host i / 50000 of 198.18.0.0/15, network order (with the port, one distinct tuple per i).</summary>
    private static uint ClientV4(int i)
    {
        var host = (uint)(i / 50000) & 0x1FFFF;
        var address = 0xC612_0000u | host; // 198.18.0.0/15
        return System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(address);
    }

    private static byte[] RawTcp(int i, TcpHeader.Flag flags)
    {
        var packet = new byte[40];
        packet[0] = 0x45;
        packet[3] = 40;
        packet[8] = 64;
        packet[9] = IpProtocol.Tcp;
        System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref packet[12], ClientV4(i));
        System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref packet[16], 0x01FF_13C6u);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), (ushort)(10000 + (i % 50000)));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 80);
        packet[32] = 5 << 4;
        packet[33] = (byte)flags;
        return packet;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int LookupHit()
    {
        var hits = 0;
        foreach (ref readonly var packet in _hits.AsSpan())
        {
            if (_table.Track(packet, Now, out _) == ConntrackVerdict.Established) hits++;
        }
        return hits;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int LookupMiss()
    {
        var misses = 0;
        foreach (ref readonly var packet in _misses.AsSpan())
        {
            if (_table.Track(packet, Now, out _) == ConntrackVerdict.New) misses++;
        }
        return misses;
    }

    /// <summary>Per flow: Track (miss), Create, then Remove so the table stays the same size.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int MissInsertRemove()
    {
        var created = 0;
        foreach (ref readonly var packet in _misses.AsSpan())
        {
            if (_table.Track(packet, Now, out _) == ConntrackVerdict.New && _table.Create(packet, Now) == ConntrackVerdict.New) created++;
        }
        foreach (ref readonly var packet in _misses.AsSpan()) _table.Remove(packet.Tuple);
        return created;
    }

    /// <summary>TryParseIpv4 over raw IPv4+TCP bytes, then Track: an ACK of an established connection.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int ParseAndTrackHit()
    {
        var hits = 0;
        foreach (var bytes in _rawHits)
        {
            if (ConntrackPacket.TryParseIpv4(bytes, out var packet) && _table.Track(packet, Now, out _) == ConntrackVerdict.Established) hits++;
        }
        return hits;
    }
}
