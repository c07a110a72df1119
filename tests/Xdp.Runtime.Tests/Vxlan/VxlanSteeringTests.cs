using System.Net;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;
using XdpNet.Configuration;
using XdpNet.Pipeline;
using static Xdp.Runtime.Tests.Vxlan.VxlanRig;

namespace Xdp.Runtime.Tests.Vxlan;

/// <summary>
/// Steering with VXLAN: a segment member is a bridge port (every frame it sends is the data plane's, ARP and NDP
/// included); the uplink hands over UDP to Vxlan:Port even though the VTEP address itself is the kernel's.
/// </summary>
public class VxlanSteeringTests
{
    private static HostConfig Config(int port = 4789) => new()
    {
        Node = new NodeConfig { Name = "vtep" },
        Interfaces =
        [
            new InterfaceConfig { Name = "vx-up", Role = "uplink" },
            new InterfaceConfig { Name = "vx-c1", Role = "local" },
            new InterfaceConfig { Name = "vx-c9", Role = "local" }, // routed container, in no segment
        ],
        Routes = [new RouteConfig { Prefix = "198.19.9.0/24", Interface = "vx-c9", NextHopMac = "02:00:00:00:c9:01" }],
        Vxlan = new VxlanConfig
        {
            Vtep = "198.18.0.1",
            Port = port,
            Segments = [new VxlanSegmentConfig { Vni = 42, Interfaces = ["vx-c1"], Flood = ["198.18.0.2"] }],
        },
    };

    /// <summary>The VTEP address is the host's own (configured on the uplink in the kernel).</summary>
    private static readonly IPAddress[] HostAddresses = [IPAddress.Parse("198.18.0.1")];

    private static Xdp.Runtime.Bpf.SteeringDecider Steering(HostConfig config, int iface) =>
        SteeringRulesFactory.Create(config, config.Interfaces[iface], HostAddresses).Compile();

    private static byte[] Vxlan(ushort port, string to = "198.18.0.1") =>
        PacketBuilder.Ethernet(UpMac, BMac).Ipv4("198.18.0.2", to).Udp(49152, port, [.. VxlanBytes(Vni), .. Inner(C1Mac, srcMac: R1Mac)]).Build();

    [Fact]
    public void ASegmentMemberOwnsEveryFrame()
    {
        var config = Config();
        var rules = SteeringRulesFactory.Create(config, config.Interfaces[1], HostAddresses);
        Assert.True(rules.OwnAll);
        var steering = rules.Compile();
        Assert.True(steering.Owns(ArpRequest()));
        Assert.True(steering.Owns(Inner(R1Mac)));
        Assert.True(steering.Owns(Inner(R1Mac, dstIp: "198.18.0.1"))); // even to the host's own address: it is a bridge port
        Assert.True(steering.Owns(PacketBuilder.Ethernet("33:33:ff:00:00:09", C1Mac).Ipv6("fe80::1", "ff02::1:ff00:9", 255)
            .NeighborSolicitation("2001:db8:42::9", C1Mac).Build()));
        Assert.True(steering.Owns(PacketBuilder.Ethernet(R1Mac, C1Mac).EtherTypePayload(0x88B5, new byte[46]).Build()));
    }

    [Fact]
    public void ALocalInterfaceInNoSegmentKeepsRoutedSteering()
    {
        var config = Config();
        Assert.False(SteeringRulesFactory.Create(config, config.Interfaces[2], HostAddresses).OwnAll);
        Assert.False(Steering(config, 2).Owns(PacketBuilder.Ethernet(R1Mac, C1Mac).EtherTypePayload(0x88B5, new byte[46]).Build()));
    }

    [Theory]
    [InlineData(4789)]
    [InlineData(8472)]
    public void TheUplinkOwnsTheVxlanPortToTheVtepAddress(int port)
    {
        var config = Config(port);
        var steering = Steering(config, 0);
        Assert.True(steering.Owns(Vxlan((ushort)port)));
        // Other UDP to the VTEP address (the host's own) stays with the kernel, as does another VXLAN port.
        Assert.False(steering.Owns(Vxlan(53)));
        Assert.False(steering.Owns(Vxlan((ushort)(port == 4789 ? 8472 : 4789))));
        // ARP for the VTEP address is the kernel's: it answers for the address it holds.
        Assert.False(steering.Owns(ArpRequest(BMac, "198.18.0.2", "198.18.0.1")));
    }

    [Fact]
    public void WithoutSegmentsTheUplinkDoesNotOwnTheVxlanPort()
    {
        var config = Config();
        config.Vxlan.Segments.Clear();
        Assert.False(Steering(config, 0).Owns(Vxlan(4789)));
        Assert.False(SteeringRulesFactory.Create(config, config.Interfaces[1], HostAddresses).OwnAll);
    }
}
