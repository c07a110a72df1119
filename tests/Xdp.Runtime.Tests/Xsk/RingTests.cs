using Xdp.Runtime.Interop;
using Xdp.Runtime.Xsk;

namespace Xdp.Runtime.Tests.Xsk;

public unsafe class RingTests
{
    // Start indices just below 2^32 so every test crosses the wrap of the free-running 32-bit counters.
    public static TheoryData<uint> Starts => new() { 0u, uint.MaxValue - 5, uint.MaxValue - 100, 0x8000_0000u };

    [Theory]
    [MemberData(nameof(Starts))]
    public void ProducerReservesOnlyFreeSlotsAndKernelSeesThemInOrder(uint start)
    {
        using var sim = new SimulatedRing<ulong>(8, start);
        var ring = sim.UserProducer();

        Assert.Equal(8u, ring.Reserve(16, out var idx)); // partial batch: only 8 free
        for (uint i = 0; i < 8; i++) ring[idx + i] = 100 + i;
        Assert.Equal(0u, ring.Reserve(1, out _));
        Assert.Empty(sim.KernelConsume(8)); // nothing visible before Submit
        ring.Submit(8);

        Assert.Equal([100ul, 101, 102], sim.KernelConsume(3));
        Assert.Equal(3u, ring.Reserve(5, out idx)); // cached consumer refreshed on demand
        for (uint i = 0; i < 3; i++) ring[idx + i] = 200 + i;
        ring.Submit(3);
        Assert.Equal([103ul, 104, 105, 106, 107, 200, 201, 202], sim.KernelConsume(100));
        Assert.Equal(start + 11, *sim.Producer);
    }

    [Theory]
    [MemberData(nameof(Starts))]
    public void ConsumerPeeksWhatKernelProducedAndReleasesWithOneStore(uint start)
    {
        using var sim = new SimulatedRing<XdpDesc>(16, start);
        var ring = sim.UserConsumer();
        Assert.Equal(0u, ring.Peek(64, out _));

        sim.KernelProduce(Enumerable.Range(0, 10).Select(i => new XdpDesc { Addr = (ulong)i * 4096, Len = (uint)(60 + i) }));
        Assert.Equal(4u, ring.Peek(4, out var idx)); // partial: asked for 4 of 10
        Assert.Equal(60u, ring[idx].Len);
        Assert.Equal(6u, ring.Peek(64, out var idx2));
        Assert.Equal(idx + 4, idx2);
        Assert.Equal(69u, ring[idx2 + 5].Len);
        Assert.Equal(start, *sim.Consumer); // not released yet: kernel may not reuse the slots
        ring.Release(10);
        Assert.Equal(start + 10, *sim.Consumer);

        // The kernel can now fill the ring completely again, across the wrap.
        Assert.Equal(16, sim.KernelProduce(Enumerable.Range(0, 20).Select(i => new XdpDesc { Addr = (ulong)i })));
        Assert.Equal(16u, ring.Peek(64, out idx));
        Assert.Equal(15ul, ring[idx + 15].Addr);
    }

    [Fact]
    public void CancelGivesBackReservedAndPeekedEntries()
    {
        using var sim = new SimulatedRing<ulong>(4, uint.MaxValue - 1);
        var prod = sim.UserProducer();
        Assert.Equal(4u, prod.Reserve(4, out _));
        prod.Cancel(2);
        Assert.Equal(2u, prod.Reserve(4, out _));

        using var sim2 = new SimulatedRing<ulong>(4, uint.MaxValue);
        sim2.KernelProduce([1ul, 2, 3]);
        var cons = sim2.UserConsumer();
        Assert.Equal(3u, cons.Peek(8, out var idx));
        cons.Cancel(1);
        Assert.Equal(1u, cons.Peek(8, out var idx2));
        Assert.Equal(3ul, cons[idx2]);
        Assert.Equal(idx + 2, idx2);
    }

    [Fact]
    public void NeedsWakeupFollowsTheKernelFlag()
    {
        using var sim = new SimulatedRing<ulong>(4, 0);
        var ring = sim.UserProducer();
        Assert.False(ring.NeedsWakeup);
        *sim.Flags = IfXdp.XDP_RING_NEED_WAKEUP;
        Assert.True(ring.NeedsWakeup);
    }

    [Fact]
    public void RingSizeMustBeAPowerOfTwo()
    {
        using var sim = new SimulatedRing<ulong>(8, 0);
        Assert.Throws<ArgumentException>(() => new ProducerRing<ulong>(sim.Producer, sim.Consumer, sim.Flags, sim.Descs, 6));
    }

    [Fact]
    public void FramePoolHandsOutEachFrameOnceAndTakesBackAnyAddressInside()
    {
        var pool = new FramePool(4, 2048);
        var got = new HashSet<ulong>();
        while (pool.TryAllocate(out var a)) Assert.True(got.Add(a));
        Assert.Equal(new HashSet<ulong> { 0, 2048, 4096, 6144 }, got);
        pool.Free(4096 + 256 + 17); // an RX address points past the headroom
        Assert.True(pool.TryAllocate(out var back));
        Assert.Equal(4096ul, back);
    }
}
