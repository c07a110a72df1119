using System.Net;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Routing;

public unsafe class ForwardingStageTests
{
    private const string HostMac = "02:00:00:00:00:01";
    private const string OurMac = "02:00:00:00:00:02";
    private static readonly MacAddress UplinkMac = MacAddress.Parse("02:00:00:00:00:aa");
    private static readonly MacAddress LocalMac = MacAddress.Parse("02:00:00:00:00:bb");
    private static readonly MacAddress SmallMac = MacAddress.Parse("02:00:00:00:00:cc");
    private static readonly MacAddress RouterB = MacAddress.Parse("02:00:00:00:0b:01");
    private static readonly MacAddress Gateway = MacAddress.Parse("02:00:00:00:0c:01");
    private static readonly MacAddress Neighbour = MacAddress.Parse("02:00:00:00:0d:01");

    // Interfaces: 0 uplink (ifindex 10), 1 local (ifindex 11), 2 small MTU (ifindex 12).
    // Targets:    0 static RouterB on 0 | 1 via 198.18.0.254 on 1 | 2 on-link on 1 | 3 static on 2 | 4 via 2001:db8:1::fe on 1
    private static ForwardingTables Tables()
    {
        var routes = new RouteTableBuilder()
            .Add(IPNetwork.Parse("198.19.0.0/16"), 0)
            .Add(IPNetwork.Parse("198.18.5.0/24"), 1)
            .Add(IPNetwork.Parse("198.18.6.0/24"), 2)
            .Add(IPNetwork.Parse("198.18.7.0/24"), 3)
            .Add(IPNetwork.Parse("2001:db8:b::/64"), 0)
            .Add(IPNetwork.Parse("2001:db8:c::/64"), 4)
            .Add(IPNetwork.Parse("2001:db8:d::/64"), 2)
            .Add(IPNetwork.Parse("::/0"), 0)
            .Build();
        RouteTarget[] targets =
        {
            RouteTarget.Static(0, RouterB),
            RouteTarget.Via(1, IPAddress.Parse("198.18.0.254")),
            RouteTarget.OnLink(1),
            RouteTarget.Static(2, RouterB),
            RouteTarget.Via(1, IPAddress.Parse("2001:db8:1::fe")),
        };
        ForwardingInterface[] interfaces =
        {
            new("uplink", 10, UplinkMac, 1500),
            new("local", 11, LocalMac, 1500),
            new("small", 12, SmallMac, 100),
        };
        return new ForwardingTables(routes, targets, interfaces);
    }

    private static NeighbourTable KernelNeighbours() => new(new[]
    {
        new NeighbourEntry(11, IPAddress.Parse("198.18.0.254"), Gateway, NeighbourState.Reachable),
        new NeighbourEntry(11, IPAddress.Parse("198.18.6.9"), Neighbour, NeighbourState.Stale),
        new NeighbourEntry(11, IPAddress.Parse("2001:db8:1::fe"), Gateway, NeighbourState.Reachable),
        new NeighbourEntry(11, IPAddress.Parse("2001:db8:d::9"), Neighbour, NeighbourState.Permanent),
        new NeighbourEntry(10, IPAddress.Parse("198.18.6.10"), Neighbour, NeighbourState.Reachable), // wrong interface
    });

    private readonly record struct Result(Verdict Verdict, DropReason Reason, int Length, int Egress, int Tailroom);

    private static Result Run(ForwardingTables tables, byte[] frame, int length = -1)
    {
        var stage = new ForwardingStage(tables);
        fixed (byte* data = frame)
        {
            var packet = new PacketContext(data, length < 0 ? frame.Length : length, 0, 0, ingressInterface: 1);
            var verdict = stage.Process(ref packet);
            return new Result(verdict, packet.Reason, packet.Length, packet.EgressInterface, packet.Tailroom);
        }
    }

    private static PacketBuilder Eth() => PacketBuilder.Ethernet(OurMac, HostMac);
    private static byte[] V4(string destination, byte ttl = 64) => Eth().Ipv4("198.18.0.1", destination, ttl).Udp(4000, 80, "hello"u8.ToArray()).Build();
    private static byte[] V6(string destination, byte hopLimit = 64) => Eth().Ipv6("2001:db8:a::1", destination, hopLimit).Udp(4000, 80, "hello"u8.ToArray()).Build();

    private static void AssertDrop(DropReason reason, Result result)
    {
        Assert.Equal(Verdict.Drop, result.Verdict);
        Assert.Equal(reason, result.Reason);
    }

    // | 02:..:01 -> us | 198.18.0.1 -> 198.19.1.2 ttl 64 | UDP 4000 -> 80 |  => uplink, RouterB, ttl 63
    [Fact]
    public void ForwardsIpv4RewritingMacsAndTtlWithValidChecksum()
    {
        var frame = V4("198.19.1.2");
        var original = (byte[])frame.Clone();
        var result = Run(Tables(), frame);

        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(0, result.Egress);
        Assert.Equal(frame.Length, result.Length);
        Assert.True(EthernetFrame.TryCreate(frame, out var eth));
        Assert.Equal(RouterB, eth.Destination);
        Assert.Equal(UplinkMac, eth.Source);
        Assert.True(Ipv4Header.TryCreate(eth.Payload, out var ip));
        Assert.Equal(63, ip.Ttl);
        // Recompute from scratch: the incremental update must equal it.
        var incremental = ip.HeaderChecksum;
        ip.FillChecksum();
        Assert.Equal(ip.HeaderChecksum, incremental);
        Assert.True(ip.IsChecksumValid);
        // Nothing else changed.
        Assert.Equal(original[12..22], frame[12..22]);
        Assert.Equal(original[23..24], frame[23..24]);
        Assert.Equal(original[26..], frame[26..]);
    }

    // | eth | 2001:db8:a::1 -> 2001:db8:b::2 hlim 64 | UDP |  => uplink, RouterB, hlim 63
    [Fact]
    public void ForwardsIpv6DecrementingHopLimit()
    {
        var frame = V6("2001:db8:b::2");
        var original = (byte[])frame.Clone();
        var result = Run(Tables(), frame);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(0, result.Egress);
        Assert.True(EthernetFrame.TryCreate(frame, out var eth));
        Assert.Equal(RouterB, eth.Destination);
        Assert.Equal(UplinkMac, eth.Source);
        Assert.True(Ipv6Header.TryCreate(eth.Payload, out var ip));
        Assert.Equal(63, ip.HopLimit);
        Assert.Equal(original[12..21], frame[12..21]);
        Assert.Equal(original[22..], frame[22..]);
    }

    // | eth | 198.18.0.1 -> 198.19.1.2 | UDP 1 byte | padding to 60 |  => Length cut to 14 + 29
    [Fact]
    public void TruncatesEthernetPadding()
    {
        var frame = Eth().Ipv4("198.18.0.1", "198.19.1.2").Udp(1, 2, new byte[] { 7 }).PadTo(60).Build();
        var result = Run(Tables(), frame);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(14 + 20 + 8 + 1, result.Length);
        Assert.Equal(60 - result.Length, result.Tailroom);

        var v6 = Eth().Ipv6("2001:db8:a::1", "2001:db8:b::2").Udp(1, 2).PadTo(80).Build();
        result = Run(Tables(), v6);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(14 + 40 + 8, result.Length);
    }

    // | eth, VLAN 100 | 198.18.0.1 -> 198.19.1.2 | UDP |  => forwarded, tag kept
    [Fact]
    public void ForwardsVlanTaggedFramesKeepingTheTag()
    {
        var frame = PacketBuilder.Ethernet(OurMac, HostMac, 100).Ipv4("198.18.0.1", "198.19.1.2").Udp(1, 2).Build();
        var result = Run(Tables(), frame);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.True(EthernetFrame.TryCreate(frame, out var eth));
        Assert.Equal(100, eth.OuterVlanId);
        Assert.True(Ipv4Header.TryCreate(eth.Payload, out var ip));
        Assert.Equal(63, ip.Ttl);
        Assert.True(ip.IsChecksumValid);
    }

    [Fact]
    public void ShortFramesAreMalformed()
    {
        AssertDrop(DropReason.Malformed, Run(Tables(), new byte[13]));
        AssertDrop(DropReason.Malformed, Run(Tables(), V4("198.19.1.2"), 14 + 19));
        AssertDrop(DropReason.Malformed, Run(Tables(), V6("2001:db8:b::2"), 14 + 39));
        AssertDrop(DropReason.Malformed, Run(Tables(), Array.Empty<byte>()));
    }

    // | eth | ARP |  => not ours to forward
    [Fact]
    public void NonIpIsUnsupportedEthertype()
    {
        var arp = Eth().EtherTypePayload(EtherType.Arp, new byte[28]).Build();
        AssertDrop(DropReason.UnsupportedEthertype, Run(Tables(), arp));
    }

    [Theory]
    [InlineData(14 + 10, 0x00)] // checksum corrupted
    [InlineData(14 + 0, 0x55)]  // version 5
    [InlineData(14 + 0, 0x44)]  // IHL 4
    [InlineData(14 + 3, 0xFF)]  // total length > frame
    public void BadIpv4Headers(int offset, byte value)
    {
        var frame = V4("198.19.1.2");
        frame[offset] = value;
        AssertDrop(DropReason.BadIpv4Header, Run(Tables(), frame));
    }

    [Fact]
    public void BadIpv6Headers()
    {
        var frame = V6("2001:db8:b::2");
        frame[14] = 0x40;
        AssertDrop(DropReason.BadIpv6Header, Run(Tables(), frame));
        frame = V6("2001:db8:b::2");
        frame[14 + 5]++; // payload length one past the frame
        AssertDrop(DropReason.BadIpv6Header, Run(Tables(), frame));
    }

    [Theory]
    [InlineData((byte)1)]
    [InlineData((byte)0)]
    public void TtlAndHopLimitExpiry(byte ttl)
    {
        AssertDrop(DropReason.TtlExceeded, Run(Tables(), V4("198.19.1.2", ttl)));
        AssertDrop(DropReason.TtlExceeded, Run(Tables(), V6("2001:db8:b::2", ttl)));
        Assert.Equal(Verdict.Tx, Run(Tables(), V4("198.19.1.2", 2)).Verdict);
    }

    [Fact]
    public void NoRoute()
    {
        AssertDrop(DropReason.NoRoute, Run(Tables(), V4("198.18.200.1")));
        var noDefault = new ForwardingTables(new RouteTableBuilder().Build(), ReadOnlySpan<RouteTarget>.Empty, ReadOnlySpan<ForwardingInterface>.Empty);
        AssertDrop(DropReason.NoRoute, Run(noDefault, V6("2001:db8:b::2")));
        // Link-local and multicast are never forwarded even with a default route (RFC 4291 section 2.5.6).
        AssertDrop(DropReason.NoRoute, Run(Tables(), V6("fe80::1")));
        AssertDrop(DropReason.NoRoute, Run(Tables(), V6("ff02::1")));
        AssertDrop(DropReason.NoRoute, Run(Tables(), Eth().Ipv6("fe80::2", "2001:db8:b::2").Udp(1, 2).Build()));
    }

    [Fact]
    public void UnresolvedNextHopsAreNoNeighbourUntilTablesAreRefreshed()
    {
        var tables = Tables();
        AssertDrop(DropReason.NoNeighbour, Run(tables, V4("198.18.5.1")));
        AssertDrop(DropReason.NoNeighbour, Run(tables, V4("198.18.6.9")));
        AssertDrop(DropReason.NoNeighbour, Run(tables, V6("2001:db8:c::1")));
        AssertDrop(DropReason.NoNeighbour, Run(tables, V6("2001:db8:d::9")));
        Assert.Equal(
            new[] { (11, IPAddress.Parse("198.18.0.254")), (11, IPAddress.Parse("2001:db8:1::fe")) },
            tables.UnresolvedGateways());

        var refreshed = tables.WithResolvedNeighbours(KernelNeighbours());
        Assert.Empty(refreshed.UnresolvedGateways());
        Assert.Same(tables.Routes, refreshed.Routes);
        Assert.Same(tables.Misses, refreshed.Misses);

        var frame = V4("198.18.5.1");
        var result = Run(refreshed, frame);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(1, result.Egress);
        Assert.Equal(Gateway, MacAddress.Read(frame));
        Assert.Equal(LocalMac, MacAddress.Read(frame.AsSpan(6)));

        frame = V4("198.18.6.9");
        Assert.Equal(Verdict.Tx, Run(refreshed, frame).Verdict);
        Assert.Equal(Neighbour, MacAddress.Read(frame));
        frame = V6("2001:db8:c::1");
        Assert.Equal(Verdict.Tx, Run(refreshed, frame).Verdict);
        Assert.Equal(Gateway, MacAddress.Read(frame));
        frame = V6("2001:db8:d::9");
        Assert.Equal(Verdict.Tx, Run(refreshed, frame).Verdict);
        Assert.Equal(Neighbour, MacAddress.Read(frame));

        // A neighbour known on another interface does not count.
        AssertDrop(DropReason.NoNeighbour, Run(refreshed, V4("198.18.6.10")));
        // The old instance is unchanged (immutable; the host swaps the reference).
        AssertDrop(DropReason.NoNeighbour, Run(tables, V4("198.18.5.1")));
    }

    [Fact]
    public void OnLinkMissesAreLoggedForTheRefresher()
    {
        var tables = Tables();
        Run(tables, V4("198.18.6.9"));
        Run(tables, V4("198.18.6.9")); // consecutive duplicate recorded once
        Run(tables, V6("2001:db8:d::9"));
        Run(tables, V4("198.18.5.1")); // gateway target: the refresher knows it from UnresolvedGateways
        var misses = new NeighbourMiss[8];
        var count = tables.Misses.Drain(misses);
        Assert.Equal(2, count);
        Assert.Equal(1, misses[0].EgressInterface);
        Assert.Equal(IPAddress.Parse("198.18.6.9"), misses[0].ToIPAddress());
        Assert.Equal(IPAddress.Parse("2001:db8:d::9"), misses[1].ToIPAddress());
        Assert.Equal(0, tables.Misses.Drain(misses));
    }

    [Fact]
    public void MissLogIsBoundedAndLossy()
    {
        var log = new NeighbourMissLog();
        for (uint i = 0; i < 1000; i++) log.RecordV4(0, i);
        var misses = new NeighbourMiss[2000];
        Assert.Equal(256, log.Drain(misses));
        log.RecordV4(0, 5);
        Assert.Equal(1, log.Drain(misses));
    }

    [Fact]
    public void LongerThanEgressMtuIsTooBig()
    {
        // MTU 100 on "small": IP total length 100 passes, 101 does not.
        var fits = Eth().Ipv4("198.18.0.1", "198.18.7.1").Udp(1, 2, new byte[100 - 28]).Build();
        Assert.Equal(Verdict.Tx, Run(Tables(), fits).Verdict);
        var tooBig = Eth().Ipv4("198.18.0.1", "198.18.7.1").Udp(1, 2, new byte[101 - 28]).Build();
        AssertDrop(DropReason.TooBig, Run(Tables(), tooBig));
        var v6 = Eth().Ipv6("2001:db8:a::1", "2001:db8:b::1").Udp(1, 2, new byte[1500 - 48 + 1]).Build();
        AssertDrop(DropReason.TooBig, Run(Tables(), v6));
    }

    [Fact]
    public void ArbitraryBytesNeverThrow()
    {
        var random = new Random(791);
        var tables = Tables().WithResolvedNeighbours(KernelNeighbours());
        var seeds = new[] { V4("198.19.1.2"), V6("2001:db8:b::2"), V4("198.18.6.9"), V6("2001:db8:d::9") };
        for (var i = 0; i < 20_000; i++)
        {
            var frame = (byte[])seeds[i % seeds.Length].Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--) frame[random.Next(frame.Length)] = (byte)random.Next(256);
            var result = Run(tables, frame, random.Next(0, frame.Length + 1));
            Assert.True(result.Verdict == Verdict.Tx || (result.Verdict == Verdict.Drop && result.Reason != DropReason.None));
            if (result.Verdict == Verdict.Tx)
            {
                Assert.True(EthernetFrame.TryCreate(frame.AsSpan(0, result.Length), out var eth));
                if (eth.EtherType == EtherType.Ipv4)
                {
                    Assert.True(Ipv4Header.TryCreate(eth.Payload, out var ip));
                    Assert.True(ip.IsChecksumValid);
                }
            }
        }
    }

    [Fact]
    public void SteadyStateForwardingAllocatesNothing()
    {
        var tables = Tables().WithResolvedNeighbours(KernelNeighbours());
        var originals = new byte[64][];
        for (var i = 0; i < originals.Length; i++)
        {
            originals[i] = (i % 4) switch
            {
                0 => V4("198.19.1.2"),
                1 => V6("2001:db8:d::9"),
                2 => V4("198.18.6.9"),
                _ => V4("198.18.200.1"), // no route: drops must not allocate either
            };
        }
        var frames = new byte[64][];
        for (var i = 0; i < frames.Length; i++) frames[i] = (byte[])originals[i].Clone();
        var stage = new ForwardingStage(tables);

        ForwardBatches(ref stage, originals, frames, 100); // warm up (tiering, statics)
        var before = GC.GetAllocatedBytesForCurrentThread();
        var transmitted = ForwardBatches(ref stage, originals, frames, 2000);
        var after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
        Assert.Equal(2000 * 48, transmitted);
    }

    private static int ForwardBatches(ref ForwardingStage stage, byte[][] originals, byte[][] frames, int batches)
    {
        var transmitted = 0;
        for (var batch = 0; batch < batches; batch++)
        {
            for (var i = 0; i < frames.Length; i++)
            {
                Buffer.BlockCopy(originals[i], 0, frames[i], 0, originals[i].Length); // restore the TTL
                fixed (byte* data = frames[i])
                {
                    var packet = new PacketContext(data, frames[i].Length, 0, 0, 1);
                    if (stage.Process(ref packet) == Verdict.Tx) transmitted++;
                }
            }
        }
        return transmitted;
    }
}
