using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Xdp.Runtime.Offload;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Wire;
using Xdp.Vxlan;

namespace XdpNet.Benchmarks;

/// <summary>Where host A finds the inner destination MAC's VTEP.</summary>
public enum VxlanPeerEntry
{
    Static,
    Learned,
}

/// <summary>
/// VXLAN encapsulation per packet through <see cref="VxlanStage.Process"/>, as the worker calls it: a batch of 64 inner
/// frames (64 flows) from segment member 0 of host A, each learned at its source, looked up (static or learned FDB),
/// routed to host B's VTEP, given outer Ethernet + IP + UDP + VXLAN headers in the frame's headroom, outer source port
/// from the inner flow's hash. Encapsulation only writes the headroom, so the same frames serve every iteration.
/// </summary>
[MemoryDiagnoser]
public unsafe class VxlanEncapBenchmarks
{
    private const int Batch = 64;
    private const int FrameSize = 4096;
    private const int Headroom = 256;
    private byte* _umem;
    private VxlanStage _stage;
    private ForwardingTables _forwarding = null!;
    private PartialChecksumStage _checksums;

    [Params(VxlanUnderlay.Ipv4, VxlanUnderlay.Ipv4UdpChecksum, VxlanUnderlay.Ipv6)]
    public VxlanUnderlay Underlay { get; set; }

    [Params(64, 1500)]
    public int FrameLength { get; set; }

    [Params(VxlanPeerEntry.Static, VxlanPeerEntry.Learned)]
    public VxlanPeerEntry Peer { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _umem = (byte*)NativeMemory.AlignedAlloc(Batch * FrameSize, 4096);
        for (var i = 0; i < Batch; i++)
        {
            VxlanHosts.InnerFrame(FrameLength, i).CopyTo(new Span<byte>(_umem + i * FrameSize + Headroom, FrameLength));
        }
        _stage = VxlanHosts.Stage(Underlay, hostA: true, staticPeer: Peer == VxlanPeerEntry.Static);
        _forwarding = VxlanHosts.Forwarding(hostA: true);
        if (EncapsulateBatch() != Batch) throw new InvalidOperationException("setup: not every frame was encapsulated");
        if (_checksums.Completed != 0) throw new InvalidOperationException("setup: inner checksums were taken for offload");
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_umem);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int EncapsulateBatch()
    {
        var tx = 0;
        for (var i = 0; i < Batch; i++)
        {
            var ctx = new PacketContext(_umem + i * FrameSize + Headroom, FrameLength, Headroom, FrameSize - Headroom - FrameLength, ingressInterface: 0);
            if (_stage.Process(ref ctx, _forwarding, ref _checksums) == Verdict.Tx) tx++;
        }
        return tx;
    }
}

/// <summary>
/// VXLAN decapsulation per packet through <see cref="VxlanStage.Process"/>: a batch of 64 frames that host A
/// encapsulated arrives on host B's uplink; each is matched (our VTEP, our port), its outer UDP checksum verified when
/// non-zero (<see cref="VxlanUnderlay.Ipv4UdpChecksum"/>, <see cref="VxlanUnderlay.Ipv6"/>; <see cref="VxlanUnderlay.Ipv4"/>
/// sends zero), VXLAN flags and VNI checked, the inner source learned behind host A's VTEP (unchanged after the first
/// time), and the inner frame unicast to the member that has the destination MAC. Decapsulation moves the packet's
/// window without writing bytes, so the same frames serve every iteration.
/// </summary>
[MemoryDiagnoser]
public unsafe class VxlanDecapBenchmarks
{
    private const int Batch = 64;
    private const int FrameSize = 4096;
    private const int Headroom = 256;
    private byte* _umem;
    private int _outerLength;
    private VxlanStage _stage;
    private ForwardingTables _forwarding = null!;
    private PartialChecksumStage _checksums;

    [Params(VxlanUnderlay.Ipv4, VxlanUnderlay.Ipv4UdpChecksum, VxlanUnderlay.Ipv6)]
    public VxlanUnderlay Underlay { get; set; }

    [Params(64, 1500)]
    public int FrameLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _umem = (byte*)NativeMemory.AlignedAlloc(Batch * FrameSize, 4096);
        // Host A encapsulates in a scratch frame; the result is placed at host B's frame start.
        var a = VxlanHosts.Stage(Underlay, hostA: true, staticPeer: true);
        var aForwarding = VxlanHosts.Forwarding(hostA: true);
        var aChecksums = default(PartialChecksumStage);
        var scratch = (byte*)NativeMemory.AlignedAlloc(FrameSize, 4096);
        try
        {
            for (var i = 0; i < Batch; i++)
            {
                VxlanHosts.InnerFrame(FrameLength, i).CopyTo(new Span<byte>(scratch + Headroom, FrameLength));
                var ctx = new PacketContext(scratch + Headroom, FrameLength, Headroom, FrameSize - Headroom - FrameLength, ingressInterface: 0);
                if (a.Process(ref ctx, aForwarding, ref aChecksums) != Verdict.Tx) throw new InvalidOperationException($"setup: host A did not encapsulate ({ctx.Reason})");
                _outerLength = ctx.Length;
                ctx.Bytes.CopyTo(new Span<byte>(_umem + i * FrameSize + Headroom, ctx.Length));
            }
        }
        finally
        {
            NativeMemory.AlignedFree(scratch);
        }
        var outer = new ReadOnlySpan<byte>(_umem + Headroom, _outerLength);
        var udpChecksumOffset = (Underlay == VxlanUnderlay.Ipv6 ? 14 + 40 : 14 + 20) + 6;
        if ((outer[udpChecksumOffset] | outer[udpChecksumOffset + 1]) == 0 != (Underlay == VxlanUnderlay.Ipv4))
            throw new InvalidOperationException("setup: outer UDP checksum not as the underlay mode says");

        _stage = VxlanHosts.Stage(Underlay, hostA: false, staticPeer: false);
        _forwarding = VxlanHosts.Forwarding(hostA: false);
        if (DecapsulateBatch() != Batch) throw new InvalidOperationException("setup: not every frame was decapsulated to member 0");
        if (_stage.Counters.Decapsulated != Batch || _stage.Counters.Flooded != 0) throw new InvalidOperationException("setup: frames were flooded");
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_umem);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int DecapsulateBatch()
    {
        var delivered = 0;
        for (var i = 0; i < Batch; i++)
        {
            var ctx = new PacketContext(_umem + i * FrameSize + Headroom, _outerLength, Headroom, FrameSize - Headroom - _outerLength, ingressInterface: 1);
            if (_stage.Process(ref ctx, _forwarding, ref _checksums) == Verdict.Tx && ctx.EgressInterface == 0) delivered++;
        }
        return delivered;
    }
}

/// <summary>
/// FDB lookups on their own: the learned table (open addressing, 16-slot probe window) and the static table (a
/// dictionary keyed by VNI and MAC) each holding <see cref="Entries"/> MACs of one segment behind random VTEPs; 64k
/// random hits or 64k random misses per invocation. At 100k entries the learned table is 16 MiB and the probes touch
/// 4 MiB of it per invocation, more than the L2 cache holds, so that case shows cache misses; 1k entries stay in L1/L2.
/// </summary>
[MemoryDiagnoser]
public class VxlanFdbBenchmarks
{
    private const int Lookups = 65536;
    private const uint Vni = 42;
    private LearnedFdb _learned = null!;
    private VxlanTables _static = null!;
    private MacAddress[] _hits = [];
    private MacAddress[] _misses = [];
    private long _now;

    [Params(1_000, 100_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _now = Environment.TickCount64;
        _learned = new LearnedFdb(Entries, 24 * 3600 * 1000L);
        var macs = new List<MacAddress>(Entries);
        var seen = new HashSet<ulong>();
        var fdb = new List<StaticFdbEntry>(Entries);
        while (macs.Count < Entries)
        {
            // Locally administered unicast MACs with an even low byte; the misses get odd ones.
            var mac = MacAddress.FromValue(((ulong)random.NextInt64() & 0xFCFF_FFFF_FFFEUL) | 0x0200_0000_0000UL);
            if (!seen.Add(mac.Value)) continue;
            var vtep = VtepAddress.FromIpv4(0x0000_12C6u | ((uint)random.Next(1, 255) << 24)); // 198.18.0.x
            if (_learned.Learn(Vni, mac.Value, -1, vtep, _now) != LearnResult.Learned) continue; // probe window full
            macs.Add(mac);
            fdb.Add(new StaticFdbEntry(mac, vtep));
        }
        var settings = new VxlanSettings(VtepAddress.Parse("198.18.0.1"));
        _static = new VxlanTables(settings, [new VxlanSegment(Vni, [0], [], Learning: true, [.. fdb])], interfaceCount: 1);
        _hits = new MacAddress[Lookups];
        _misses = new MacAddress[Lookups];
        for (var i = 0; i < Lookups; i++)
        {
            _hits[i] = macs[random.Next(macs.Count)];
            _misses[i] = MacAddress.FromValue(((ulong)random.NextInt64() & 0xFCFF_FFFF_FFFFUL) | 0x0200_0000_0001UL);
        }
        if (LearnedHit() == 0 || StaticHit() == 0 || LearnedMiss() != 0 || StaticMiss() != 0) throw new InvalidOperationException("setup: lookups wrong");
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public ulong LearnedHit() => LookupLearned(_hits);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public ulong LearnedMiss() => LookupLearned(_misses);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public ulong StaticHit() => LookupStatic(_hits);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public ulong StaticMiss() => LookupStatic(_misses);

    private ulong LookupLearned(MacAddress[] keys)
    {
        ulong sum = 0;
        foreach (var mac in keys)
        {
            if (_learned.TryLookup(Vni, mac.Value, _now, out _, out var remote)) sum += (ulong)remote.Value;
        }
        return sum;
    }

    private ulong LookupStatic(MacAddress[] keys)
    {
        ulong sum = 0;
        foreach (var mac in keys)
        {
            if (_static.TryGetStatic(Vni, mac, out var remote)) sum += (ulong)remote.Value;
        }
        return sum;
    }
}
