using XdpNet.Configuration;

namespace Xdp.Runtime.Tests.Host;

public class HostConfigValidatorTests
{
    private static readonly ValidationLimits Limits = new(ProcessorCount: 2, PageSize: 4096);

    /// <summary>A valid two-interface router; each case breaks exactly one thing.</summary>
    private static HostConfig Valid() => new()
    {
        Node = new NodeConfig { Name = "dut", Cpu = 1 },
        Interfaces =
        [
            new InterfaceConfig { Name = "dut0", Role = "uplink", Mac = "02:00:00:00:01:02" },
            new InterfaceConfig { Name = "dut1", Role = "local" },
        ],
        Umem = new UmemConfig { FrameSize = 4096, Frames = 32768, Headroom = 256 },
        Routes =
        [
            new RouteConfig { Prefix = "198.18.1.0/24", Interface = "dut0", NextHopMac = "02:00:00:00:01:01" },
            new RouteConfig { Prefix = "2001:db8:2::/64", Interface = "dut1", Gateway = "2001:db8:2::2" },
        ],
    };

    private static readonly Dictionary<string, (Action<HostConfig> Break, string Key)> Cases = new()
    {
        ["node name empty"] = (c => c.Node.Name = "", "Node:Name"),
        ["node name with slash"] = (c => c.Node.Name = "a/b", "Node:Name"),
        ["cpu negative"] = (c => c.Node.Cpu = -1, "Node:Cpu"),
        ["cpu beyond machine"] = (c => c.Node.Cpu = 2, "Node:Cpu"),
        ["no interfaces"] = (c => { c.Interfaces.Clear(); c.Routes.Clear(); }, "Interfaces"),
        ["interface name empty"] = (c => { c.Interfaces[1].Name = ""; c.Routes.RemoveAt(1); }, "Interfaces:1:Name"),
        ["interface name too long"] = (c => { c.Interfaces[1].Name = "abcdefghijklmnop"; c.Routes.RemoveAt(1); }, "Interfaces:1:Name"),
        ["interface name duplicate"] = (c => { c.Interfaces[1].Name = "dut0"; c.Routes.RemoveAt(1); }, "Interfaces:1:Name"),
        ["role unknown"] = (c => c.Interfaces[0].Role = "spine", "Interfaces:0:Role"),
        ["bind unknown"] = (c => c.Interfaces[1].Bind = "zero-copy", "Interfaces:1:Bind"),
        ["attach unknown"] = (c => c.Interfaces[1].Attach = "offload", "Interfaces:1:Attach"),
        ["attach upper case"] = (c => c.Interfaces[1].Attach = "Native", "Interfaces:1:Attach"),
        ["queues empty"] = (c => c.Interfaces[0].Queues = [], "Interfaces:0:Queues"),
        ["queue negative"] = (c => c.Interfaces[0].Queues = [0, -1], "Interfaces:0:Queues:1"),
        ["queue duplicate"] = (c => { c.Interfaces[0].Queues = [0, 0]; }, "Interfaces:0:Queues:1"),
        ["mac malformed"] = (c => c.Interfaces[0].Mac = "02:00:00:00:01", "Interfaces:0:Mac"),
        ["mac not hex"] = (c => c.Interfaces[0].Mac = "02:00:00:00:01:zz", "Interfaces:0:Mac"),
        ["mac multicast"] = (c => c.Interfaces[0].Mac = "01:00:5e:00:00:01", "Interfaces:0:Mac"),
        ["mtu too small"] = (c => c.Interfaces[1].Mtu = 67, "Interfaces:1:Mtu"),
        ["mtu too large"] = (c => c.Interfaces[1].Mtu = 9001, "Interfaces:1:Mtu"),
        ["mtu beyond frame"] = (c => c.Interfaces[1].Mtu = 4000, "Interfaces:1:Mtu"),
        ["steering mode unknown"] = (c => c.Interfaces[0].Steering.Mode = "some", "Interfaces:0:Steering:Mode"),
        ["steering rules own nothing"] = (c => c.Interfaces[0].Steering.Mode = "rules", "Interfaces:0:Steering:Mode"),
        ["steering list outside rules mode"] = (c => c.Interfaces[0].Steering.UdpPorts = [4789], "Interfaces:0:Steering:UdpPorts"),
        ["steering ethertype bad"] = (c => { c.Interfaces[0].Steering.Mode = "rules"; c.Interfaces[0].Steering.Ethertypes = ["0x86dd", "0x05dc"]; }, "Interfaces:0:Steering:Ethertypes:1"),
        ["steering ethertype text"] = (c => { c.Interfaces[0].Steering.Mode = "rules"; c.Interfaces[0].Steering.Ethertypes = ["ipv6"]; }, "Interfaces:0:Steering:Ethertypes:0"),
        ["steering prefix host bits"] = (c => { c.Interfaces[1].Steering.Mode = "rules"; c.Interfaces[1].Steering.Prefixes = ["198.18.2.1/24"]; }, "Interfaces:1:Steering:Prefixes:0"),
        ["steering port zero"] = (c => { c.Interfaces[1].Steering.Mode = "rules"; c.Interfaces[1].Steering.UdpPorts = [4789, 0]; }, "Interfaces:1:Steering:UdpPorts:1"),
        ["steering port too big"] = (c => { c.Interfaces[1].Steering.Mode = "rules"; c.Interfaces[1].Steering.UdpPorts = [65536]; }, "Interfaces:1:Steering:UdpPorts:0"),
        ["steering exclude bad"] = (c => c.Interfaces[0].Steering.Exclude = ["198.18.1.2"], "Interfaces:0:Steering:Exclude:0"),
        ["frame size not power of two"] = (c => c.Umem.FrameSize = 3000, "Umem:FrameSize"),
        ["frame size below 2048"] = (c => c.Umem.FrameSize = 1024, "Umem:FrameSize"),
        ["frame size above page"] = (c => c.Umem.FrameSize = 8192, "Umem:FrameSize"),
        ["frames not power of two"] = (c => c.Umem.Frames = 12288, "Umem:Frames"),
        ["frames fewer than rings"] = (c => c.Umem.Frames = 8192, "Umem:Frames"),
        ["headroom negative"] = (c => c.Umem.Headroom = -8, "Umem:Headroom"),
        ["headroom leaves no room"] = (c => { c.Umem.FrameSize = 2048; c.Umem.Headroom = 512; }, "Umem:Headroom"),
        ["headroom unaligned"] = (c => c.Umem.Headroom = 100, "Umem:Headroom"),
        ["rx ring not power of two"] = (c => c.Rings.Rx = 1000, "Rings:Rx"),
        ["tx ring zero"] = (c => c.Rings.Tx = 0, "Rings:Tx"),
        ["fill ring too large"] = (c => { c.Rings.Fill = 131072; c.Umem.Frames = 1 << 19; c.Umem.FrameSize = 2048; }, "Rings:Fill"),
        ["completion ring below batch"] = (c => c.Rings.Completion = 32, "Rings:Completion"),
        ["batch zero"] = (c => c.Rings.Batch = 0, "Rings:Batch"),
        ["batch too large"] = (c => c.Rings.Batch = 257, "Rings:Batch"),
        ["tx skb budget too small"] = (c => c.Rings.TxSkbBudget = 8, "Rings:TxSkbBudget"),
        ["tx skb budget above tx ring"] = (c => c.Rings.TxSkbBudget = 4096, "Rings:TxSkbBudget"),
        ["busy poll timeout negative"] = (c => c.BusyPoll.TimeoutUs = -1, "BusyPoll:TimeoutUs"),
        ["busy poll enabled with zero timeout"] = (c => { c.BusyPoll.Enabled = true; c.BusyPoll.TimeoutUs = 0; }, "BusyPoll:TimeoutUs"),
        ["busy poll budget zero"] = (c => c.BusyPoll.Budget = 0, "BusyPoll:Budget"),
        ["busy poll budget too large"] = (c => c.BusyPoll.Budget = 70000, "BusyPoll:Budget"),
        ["route prefix missing length"] = (c => c.Routes[0].Prefix = "198.18.1.0", "Routes:0:Prefix"),
        ["route prefix garbage"] = (c => c.Routes[1].Prefix = "2001:db8:zz::/64", "Routes:1:Prefix"),
        ["route prefix host bits"] = (c => c.Routes[1].Prefix = "2001:db8:2::1/64", "Routes:1:Prefix"),
        ["route prefix length too long"] = (c => c.Routes[0].Prefix = "198.18.1.0/33", "Routes:0:Prefix"),
        ["route prefix duplicate"] = (c => c.Routes.Add(new RouteConfig { Prefix = "198.18.1.0/24", Interface = "dut1" }), "Routes:2:Prefix"),
        ["route interface unknown"] = (c => c.Routes[0].Interface = "eth9", "Routes:0:Interface"),
        ["route interface missing"] = (c => c.Routes[0].Interface = "", "Routes:0:Interface"),
        ["route mac malformed"] = (c => c.Routes[0].NextHopMac = "0200.0000.0101", "Routes:0:NextHopMac"),
        ["route mac broadcast"] = (c => c.Routes[0].NextHopMac = "ff:ff:ff:ff:ff:ff", "Routes:0:NextHopMac"),
        ["route gateway garbage"] = (c => c.Routes[1].Gateway = "gateway", "Routes:1:Gateway"),
        ["route gateway other family"] = (c => c.Routes[1].Gateway = "198.18.2.2", "Routes:1:Gateway"),
        ["stats socket relative"] = (c => c.Stats.Socket = "run/x.sock", "Stats:Socket"),
        ["stats socket too long"] = (c => c.Stats.Socket = "/" + new string('s', 120), "Stats:Socket"),
    };

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys) data.Add(name);
        return data;
    }

    [Fact]
    public void ValidConfigurationHasNoErrors()
    {
        Assert.Empty(HostConfigValidator.Validate(Valid(), Limits));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void InvalidValueIsReportedUnderItsKey(string caseName)
    {
        var (breakIt, key) = Cases[caseName];
        var config = Valid();
        breakIt(config);

        var errors = HostConfigValidator.Validate(config, Limits);

        var error = Assert.Single(errors);
        Assert.Equal(key, error.Key);
        Assert.False(string.IsNullOrWhiteSpace(error.Problem));
    }

    [Fact]
    public void EveryProblemIsReportedNotJustTheFirst()
    {
        var config = Valid();
        config.Node.Cpu = 99;
        config.Interfaces[1].Bind = "fast";
        config.Routes[0].Prefix = "nonsense";

        var keys = HostConfigValidator.Validate(config, Limits).Select(e => e.Key).ToArray();

        Assert.Equal(["Node:Cpu", "Interfaces:1:Bind", "Routes:0:Prefix"], keys);
    }

    [Fact]
    public void HostBitsProblemSuggestsTheNetwork()
    {
        var config = Valid();
        config.Routes[0].Prefix = "198.18.1.7/24";
        var error = Assert.Single(HostConfigValidator.Validate(config, Limits));
        Assert.Contains("198.18.1.0/24", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void SteeringRulesWithValidListsPass()
    {
        var config = Valid();
        var steering = config.Interfaces[0].Steering;
        steering.Mode = "rules";
        steering.Ethertypes = ["0x86DD", "2048"];
        steering.Prefixes = ["198.18.0.0/15", "2001:db8::/32"];
        steering.UdpPorts = [4789, 65535];
        steering.Exclude = ["198.18.1.2/32"];
        Assert.Empty(HostConfigValidator.Validate(config, Limits));
    }
}
