using System.Net;
using Xdp.Runtime.Bpf;
using Xdp.Runtime.Neighbors;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Neighbors;

/// <summary>
/// ARP for IPv4 endpoints. Interfaces: 0 = c1's veth (proxying; the host's gateway address 198.18.5.1 on it),
/// 1 = uplink. Routes: c1 198.18.5.2/32 out of 0, 198.18.9.0/24 out of 1. Expected replies built with the packet builder.
/// </summary>
public unsafe class ArpResponderTests
{
    private const string C1Mac = "02:00:00:00:c1:01", HostC1Mac = "02:00:00:00:0a:c1", UpMac = "02:00:00:00:0a:01";
    private const string C1 = "198.18.5.2", Gateway = "198.18.5.1", Remote = "198.18.9.7";

    private static NeighborResponderTable Table()
    {
        var routes = new RouteTableBuilder().Add(IPNetwork.Parse(C1 + "/32"), 0).Add(IPNetwork.Parse("198.18.9.0/24"), 1).Build();
        NeighborProxyInterface[] interfaces =
        [
            new(true, MacAddress.Parse(HostC1Mac), [], [NetworkOrder.AddressV4(IPAddress.Parse(Gateway))]),
            new(false, MacAddress.Parse(UpMac), []),
        ];
        return new NeighborResponderTable(interfaces, routes, [0, 1], []);
    }

    private static byte[] Request(string target, string sender = C1) =>
        PacketBuilder.Ethernet("ff:ff:ff:ff:ff:ff", C1Mac).Arp(ArpPacket.OperationRequest, C1Mac, sender, "00:00:00:00:00:00", target).PadTo(60).Build();

    private static (Verdict Verdict, DropReason Reason, int Egress, byte[] Frame) Run(byte[] frame, int ingress = 0)
    {
        var buffer = (byte[])frame.Clone();
        fixed (byte* data = buffer)
        {
            var packet = new PacketContext(data, frame.Length, 0, 0, ingress);
            var verdict = new NeighborResponderStage(Table()).Process(ref packet);
            return (verdict, packet.Reason, packet.EgressInterface, buffer.AsSpan(0, packet.Length).ToArray());
        }
    }

    // | c1 -> broadcast | ARP who-has 198.18.9.7 (routed out of the uplink) | ==> | c1 <- 198.18.9.7 is-at host veth MAC |
    [Theory]
    [InlineData(Remote)]
    [InlineData(Gateway)]
    public void ARequestForARoutedOrOwnAddressIsAnsweredOnTheSameInterface(string target)
    {
        var (verdict, _, egress, frame) = Run(Request(target));
        Assert.Equal(Verdict.Tx, verdict);
        Assert.Equal(0, egress);
        var expected = PacketBuilder.Ethernet(C1Mac, HostC1Mac).Arp(ArpPacket.OperationReply, HostC1Mac, target, C1Mac, C1).PadTo(60).Build();
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void ARequestForAnAddressOnTheSameLinkIsNotAnswered()
    {
        // 198.18.5.2 is routed out of the interface the request came in on: its owner answers (and a probe for it must not be).
        var (verdict, reason, _, _) = Run(Request(C1, sender: "0.0.0.0"));
        Assert.Equal(Verdict.Drop, verdict);
        Assert.Equal(DropReason.NeighborNotAnswered, reason);
    }

    [Fact]
    public void RepliesAndOtherInterfacesAreLeftAlone()
    {
        var reply = PacketBuilder.Ethernet(HostC1Mac, C1Mac).Arp(ArpPacket.OperationReply, C1Mac, C1, HostC1Mac, Gateway).PadTo(60).Build();
        Assert.Equal(Verdict.Continue, Run(reply).Verdict);
        Assert.Equal(Verdict.Continue, Run(Request(Remote), ingress: 1).Verdict); // the uplink does not proxy
        var truncated = Request(Remote).AsSpan(0, 14 + 20).ToArray();
        Assert.Equal(Verdict.Continue, Run(truncated).Verdict);
    }

    [Fact]
    public void SteeringOwnsArpRequestsButNotReplies()
    {
        var decider = new SteeringRules { OwnArpRequests = true }.Compile();
        Assert.True(decider.Owns(Request(Remote)));
        Assert.False(decider.Owns(PacketBuilder.Ethernet(HostC1Mac, C1Mac).Arp(ArpPacket.OperationReply, C1Mac, C1, HostC1Mac, Gateway).Build()));
        Assert.False(new SteeringRules().Compile().Owns(Request(Remote)));
    }
}
