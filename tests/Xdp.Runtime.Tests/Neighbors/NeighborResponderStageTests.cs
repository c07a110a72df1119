using System.Net;
using Xdp.Runtime.Neighbors;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Neighbors;

/// <summary>
/// The neighbour proxy on its own. Interfaces: 0 = c1's veth (local, proxying, host address 2001:db8:100::1 and
/// fe80::a:1), 1 = uplink (not proxying). Routes: c1's address out of 0, 2001:db8:b::/64 out of 1; SIR prefix
/// 2001:db8:5151::/64. Expected advertisements are built independently with the packet builder.
/// </summary>
public unsafe class NeighborResponderStageTests
{
    private const string C1 = "2001:db8:5151::1:0:0:1", C2 = "2001:db8:5151::1:0:0:2", Remote = "2001:db8:b::7";
    private const string C1Mac = "02:00:00:00:c1:01", HostC1Mac = "02:00:00:00:0a:c1", UpMac = "02:00:00:00:0a:01";
    private const string HostGlobal = "2001:db8:100::1", HostLinkLocal = "fe80::a:1";

    private static NeighborResponderTable Table()
    {
        var routes = new RouteTableBuilder()
            .Add(IPNetwork.Parse(C1 + "/128"), 0)
            .Add(IPNetwork.Parse("2001:db8:b::/64"), 1)
            .Build();
        var interfaces = new[]
        {
            new NeighborProxyInterface(true, MacAddress.Parse(HostC1Mac),
                [NetworkOrder.AddressV6(IPAddress.Parse(HostGlobal)), NetworkOrder.AddressV6(IPAddress.Parse(HostLinkLocal))]),
            new NeighborProxyInterface(false, MacAddress.Parse(UpMac), []),
        };
        return new NeighborResponderTable(interfaces, routes, [0, 1], [0x2001_0db8_5151_0000UL]);
    }

    /// <summary>ff02::1:ffXX:XXXX for an address (RFC 4291 section 2.7.1) and its Ethernet group 33:33:ff:XX:XX:XX.</summary>
    private static (string Ip, string Mac) SolicitedNode(string target)
    {
        var b = IPAddress.Parse(target).GetAddressBytes();
        return ($"ff02::1:ff{b[13]:x2}:{b[14]:x2}{b[15]:x2}", $"33:33:ff:{b[13]:x2}:{b[14]:x2}:{b[15]:x2}");
    }

    private static byte[] Solicitation(string target, string source = C1, byte hopLimit = 255, bool withOption = true)
    {
        var group = SolicitedNode(target);
        return PacketBuilder.Ethernet(group.Mac, C1Mac).Ipv6(source, group.Ip, hopLimit)
            .NeighborSolicitation(target, withOption ? C1Mac : null).Build();
    }

    private static (Verdict Verdict, DropReason Reason, int Egress, byte[] Frame) Run(byte[] frame, int ingress = 0, int tailroom = 256)
    {
        var buffer = new byte[frame.Length + tailroom];
        frame.CopyTo(buffer, 0);
        fixed (byte* data = buffer)
        {
            var packet = new PacketContext(data, frame.Length, 0, tailroom, ingress);
            var stage = new NeighborResponderStage(Table());
            var verdict = stage.Process(ref packet);
            return (verdict, packet.Reason, packet.EgressInterface, buffer.AsSpan(0, packet.Length).ToArray());
        }
    }

    // | c1 -> ff02::1:ff00:2 | NS who-has SIR c2 | ==> | c1 <- SIR c2 | NA S=1 O=0 R=0 tlla host veth MAC |
    [Fact]
    public void ASolicitationForAnIlaAddressIsAnsweredByProxyOnTheSameInterface()
    {
        var (verdict, _, egress, frame) = Run(Solicitation(C2));
        Assert.Equal(Verdict.Tx, verdict);
        Assert.Equal(0, egress);
        var expected = PacketBuilder.Ethernet(C1Mac, HostC1Mac).Ipv6(C2, C1, 255)
            .NeighborAdvertisement(C2, HostC1Mac, router: false, solicited: true, @override: false).Build();
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void ASolicitationForARoutedAddressWithoutSourceOptionGrowsTheFrame()
    {
        var request = Solicitation(Remote, withOption: false);
        var (verdict, _, _, frame) = Run(request);
        Assert.Equal(Verdict.Tx, verdict);
        Assert.Equal(request.Length + 8, frame.Length);
        var expected = PacketBuilder.Ethernet(C1Mac, HostC1Mac).Ipv6(Remote, C1, 255)
            .NeighborAdvertisement(Remote, HostC1Mac, router: false, solicited: true, @override: false).Build();
        Assert.Equal(expected, frame);
    }

    [Theory]
    [InlineData(HostGlobal)]
    [InlineData(HostLinkLocal)]
    public void TheHostsOwnAddressesOnTheInterfaceAreAnsweredAsTheKernelWould(string target)
    {
        var (verdict, _, _, frame) = Run(Solicitation(target));
        Assert.Equal(Verdict.Tx, verdict);
        var expected = PacketBuilder.Ethernet(C1Mac, HostC1Mac).Ipv6(target, C1, 255)
            .NeighborAdvertisement(target, HostC1Mac, router: true, solicited: true, @override: true).Build();
        Assert.Equal(expected, frame);
    }

    // | :: -> ff02::1:ff00:7 | DAD NS for a routed address | ==> | all-nodes <- addr | NA S=0 |
    [Fact]
    public void DuplicateAddressDetectionIsAnsweredToAllNodes()
    {
        var (verdict, _, _, frame) = Run(Solicitation(Remote, source: "::", withOption: false));
        Assert.Equal(Verdict.Tx, verdict);
        var expected = PacketBuilder.Ethernet("33:33:00:00:00:01", HostC1Mac).Ipv6(Remote, "ff02::1", 255)
            .NeighborAdvertisement(Remote, HostC1Mac, router: false, solicited: false, @override: false).Build();
        Assert.Equal(expected, frame);
    }

    [Theory]
    [InlineData(C1)] // lives on the soliciting link itself: its own DAD must not fail
    [InlineData("2001:db8:77::1")] // unknown
    public void ATargetNotAnsweredForIsDroppedByName(string target)
    {
        var (verdict, reason, _, _) = Run(Solicitation(target));
        Assert.Equal((Verdict.Drop, DropReason.NeighborNotAnswered), (verdict, reason));
        Assert.Equal("neighbor-not-answered", DropReasons.Name(DropReason.NeighborNotAnswered));
    }

    [Fact]
    public void AnUplinkSolicitationIsLeftToTheRestOfThePipeline()
    {
        var request = Solicitation(C2);
        var (verdict, _, _, frame) = Run(request, ingress: 1);
        Assert.Equal(Verdict.Continue, verdict);
        Assert.Equal(request, frame);
    }

    [Fact]
    public void OtherIpv6TrafficContinuesUntouched()
    {
        var echo = PacketBuilder.Ethernet(HostC1Mac, C1Mac).Ipv6(C1, C2).Icmpv6Echo(1, 1).Build();
        var (verdict, _, _, frame) = Run(echo);
        Assert.Equal(Verdict.Continue, verdict);
        Assert.Equal(echo, frame);
    }

    public static TheoryData<string, byte[]> Invalid()
    {
        var data = new TheoryData<string, byte[]>
        {
            { "hop limit 254", Solicitation(C2, hopLimit: 254) },
            { "DAD with a source link-layer option", Solicitation(C2, source: "::") },
            { "multicast source", Solicitation(C2, source: "ff02::1") },
        };
        var badChecksum = Solicitation(C2);
        badChecksum[14 + 40 + 2] ^= 0x01;
        data.Add("bad checksum", badChecksum);
        var code = Solicitation(C2);
        code[14 + 40 + 1] = 1;
        code[14 + 40 + 3] -= 1; // keep the checksum right: only the code is wrong
        data.Add("code 1", code);
        var zeroOption = Solicitation(C2);
        zeroOption[14 + 40 + 25] = 0;
        zeroOption[14 + 40 + 3] += 1;
        data.Add("zero-length option", zeroOption);
        return data;
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void AnInvalidSolicitationIsNeverAnswered(string why, byte[] frame)
    {
        var (verdict, reason, _, _) = Run(frame);
        Assert.True(verdict == Verdict.Drop && reason == DropReason.BadNeighborSolicitation, why);
    }

    [Fact]
    public void EveryTruncationIsDroppedOrLeftAloneNeverAnsweredNeverThrows()
    {
        var frame = Solicitation(C2);
        for (var cut = 0; cut < frame.Length; cut++)
        {
            var (verdict, _, _, _) = Run(frame.AsSpan(0, cut).ToArray());
            Assert.NotEqual(Verdict.Tx, verdict);
        }
    }

    [Fact]
    public void NoTailroomForTheOptionIsADropNotAnOverrun()
    {
        var (verdict, _, _, _) = Run(Solicitation(Remote, withOption: false), tailroom: 0);
        Assert.Equal(Verdict.Drop, verdict);
    }

    // | c1 -> SIR c2 (unicast, neighbour unreachability detection) | NS who-has SIR c2 |: answered the same way
    [Fact]
    public void AUnicastSolicitationIsAnsweredToo()
    {
        var nud = PacketBuilder.Ethernet(HostC1Mac, C1Mac).Ipv6(C1, C2, 255).NeighborSolicitation(C2, C1Mac).Build();
        var (verdict, _, _, frame) = Run(nud);
        Assert.Equal(Verdict.Tx, verdict);
        var expected = PacketBuilder.Ethernet(C1Mac, HostC1Mac).Ipv6(C2, C1, 255)
            .NeighborAdvertisement(C2, HostC1Mac, router: false, solicited: true, @override: false).Build();
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void AVlanTaggedSolicitationIsAnsweredWithTheTagKept()
    {
        var group = SolicitedNode(C2);
        var ns = PacketBuilder.Ethernet(group.Mac, C1Mac, 42).Ipv6(C1, group.Ip, 255).NeighborSolicitation(C2, C1Mac).Build();
        var (verdict, _, _, frame) = Run(ns);
        Assert.Equal(Verdict.Tx, verdict);
        var expected = PacketBuilder.Ethernet(C1Mac, HostC1Mac, 42).Ipv6(C2, C1, 255)
            .NeighborAdvertisement(C2, HostC1Mac, router: false, solicited: true, @override: false).Build();
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void AnsweringAllocatesNothing()
    {
        var request = Solicitation(C2);
        var buffer = new byte[request.Length + 64];
        var stage = new NeighborResponderStage(Table());
        long before = 0;
        var transmitted = 0;
        for (var round = 0; round < 2; round++)
        {
            if (round == 1) before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                request.CopyTo(buffer, 0);
                fixed (byte* data = buffer)
                {
                    var packet = new PacketContext(data, request.Length, 0, 64, 0);
                    if (stage.Process(ref packet) == Verdict.Tx) transmitted++;
                }
            }
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(2000, transmitted);
        Assert.Equal(0, allocated);
    }
}
