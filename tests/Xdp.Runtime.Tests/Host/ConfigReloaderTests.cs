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
}
