using XdpNet.Configuration;
using XdpNet.Host;

namespace Xdp.Runtime.Tests.Host;

public class ConfigReloaderTests
{
    private static HostConfig Config() => new()
    {
        Interfaces = [new InterfaceConfig { Name = "dut0" }, new InterfaceConfig { Name = "dut1", Role = "uplink" }],
        Routes = [new RouteConfig { Prefix = "198.18.2.0/24", Interface = "dut1" }],
    };

    [Fact]
    public void RoutesIlaAndSteeringAreLiveSettings()
    {
        var next = Config();
        next.Routes.Add(new RouteConfig { Prefix = "2001:db8:2::/64", Interface = "dut1" });
        next.Ila.Domains.Add(new IlaDomainConfig { SirPrefix = "2001:db8:5151::/64", Locator = "2001:db8:a::/64" });
        next.Interfaces[0].Steering.Mode = "all";
        Assert.Empty(ConfigReloader.RestartOnlyChanges(Config(), next));
    }

    [Fact]
    public void EveryRestartOnlySettingIsNamedByItsKey()
    {
        var next = Config();
        next.Node.Cpu = 1;
        next.Interfaces[1].Queues = [0, 1];
        next.Interfaces[0].Mtu = 9000;
        next.Umem.Frames *= 2;
        next.Rings.Batch = 32;
        next.BusyPoll.Enabled = true;
        next.Stats.Socket = "/run/xdpnet/other.sock";
        Assert.Equal(
            ["Node:Cpu", "Interfaces:0:Mtu", "Interfaces:1:Queues", "Umem", "Rings", "BusyPoll", "Stats:Socket"],
            ConfigReloader.RestartOnlyChanges(Config(), next));
    }

    [Fact]
    public void LocalInterfacesComeAndGoLiveButUplinksWaitForARestart()
    {
        var next = Config();
        next.Interfaces.RemoveAt(0);
        next.Interfaces.Add(new InterfaceConfig { Name = "veth-new" });
        Assert.Empty(ConfigReloader.RestartOnlyChanges(Config(), next));

        var uplinks = Config();
        uplinks.Interfaces.RemoveAt(1);
        uplinks.Interfaces.Add(new InterfaceConfig { Name = "eth9", Role = "uplink" });
        uplinks.Node.StateDirectory = "/var/lib/other";
        Assert.Equal(["Node:StateDirectory", "Interfaces:1 (uplink eth9 added)", "Interfaces (uplink dut1 removed)"],
            ConfigReloader.RestartOnlyChanges(Config(), uplinks));
    }

    [Fact]
    public void TheLayoutKeepsEachInterfaceAtItsIndexWithUnnamedPlaceholdersInTheHoles()
    {
        var a = new XdpNet.Pipeline.ResolvedInterface(0, "a", 7, default, 1500);
        var c = new XdpNet.Pipeline.ResolvedInterface(2, "c", 9, default, 9000);
        var layout = ConfigReloader.Layout([a, null, c]);
        Assert.Equal(["a", "", "c"], layout.Select(i => i.Name));
        Assert.Equal(1, layout[1].Index);
        Assert.Equal(9000, layout[2].Mtu);
    }
}
