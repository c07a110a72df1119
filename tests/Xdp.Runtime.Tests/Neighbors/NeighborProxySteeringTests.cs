using System.Net;
using Xdp.Runtime.Bpf;
using Xdp.Runtime.Tests.Support;
using XdpNet.Configuration;
using XdpNet.Pipeline;

namespace Xdp.Runtime.Tests.Neighbors;

/// <summary>
/// Routed steering for the neighbour proxy: on a local interface the solicited-node group is owned, so solicitations
/// reach the data plane; on the uplink it stays the kernel's; advertisements answering the kernel's own
/// solicitations (unicast to a host address, a /128 pass) keep reaching the kernel.
/// </summary>
public class NeighborProxySteeringTests
{
    private const string HostAddress = "2001:db8:100::1";

    private static SteeringDecider Decider(string role)
    {
        var config = new HostConfig
        {
            Interfaces = [new InterfaceConfig { Name = "c1", Role = role }],
            Routes = [new RouteConfig { Prefix = "2001:db8:100::/64", Interface = "c1" }],
        };
        return SteeringRulesFactory.Create(config, config.Interfaces[0], [IPAddress.Parse(HostAddress)]).Compile();
    }

    private static byte[] Ns(string target, string group) =>
        PacketBuilder.Ethernet("33:33:ff:00:00:02", "02:00:00:00:c1:01").Ipv6("2001:db8:100::2", group, 255).NeighborSolicitation(target).Build();

    // | c1 -> ff02::1:ff00:1 | NS who-has host address |: owned on local, passed on uplink
    [Fact]
    public void SolicitationsAreOwnedOnLocalInterfacesOnly()
    {
        Assert.True(Decider("local").Owns(Ns(HostAddress, "ff02::1:ff00:1")));
        Assert.False(Decider("uplink").Owns(Ns(HostAddress, "ff02::1:ff00:1")));
    }

    // | c1 -> host address | NA |: the answer to the kernel's own solicitation stays the kernel's
    [Fact]
    public void AdvertisementsToTheHostStayWithTheKernel()
    {
        var na = PacketBuilder.Ethernet("02:00:00:00:0a:c1", "02:00:00:00:c1:01").Ipv6("2001:db8:100::2", HostAddress, 255)
            .NeighborAdvertisement("2001:db8:100::2", "02:00:00:00:c1:01").Build();
        Assert.False(Decider("local").Owns(na));
        var linkLocal = PacketBuilder.Ethernet("02:00:00:00:0a:c1", "02:00:00:00:c1:01").Ipv6("fe80::2", "fe80::1", 255)
            .NeighborAdvertisement("fe80::2", "02:00:00:00:c1:01").Build();
        Assert.False(Decider("local").Owns(linkLocal));
    }
}
