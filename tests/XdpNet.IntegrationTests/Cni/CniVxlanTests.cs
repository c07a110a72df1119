using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Cni;

/// <summary>
/// Containers on two hosts, attached by xdpnet-cni to one VXLAN segment (VNI 42), talk across hosts: each host runs
/// xdpnet as its VTEP with the segment empty in its file, the plugin allocates from the host's own slice of
/// 198.18.20.0/24 and registers the veth with the VNI, so it joins the segment live; ARP crosses the overlay by flooding.
/// <code>
///   [a1 198.18.20.10] == xc.. [host A: VTEP 198.18.0.1] ua == [underlay bridge] == ub [host B: VTEP 198.18.0.2] xc.. == [b1 198.18.20.100]
/// </code>
/// </summary>
[Collection("netns")]
public sealed class CniVxlanTests : IDisposable
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private readonly string _suffix = UniqueName.Suffix(6);
    private readonly string _dir = Directory.CreateTempSubdirectory("xdpnet-cni-vx-").FullName;
    private readonly List<NetNs> _namespaces = [];
    private readonly List<XdpNetProcess> _xdp = [];

    private NetNs Ns(string purpose)
    {
        var ns = NetNs.Create(purpose);
        _namespaces.Add(ns);
        return ns;
    }

    private string HostDir(char host) => Path.Combine(_dir, host.ToString());
    private string Socket(char host) => Path.Combine(HostDir(host), "control.sock");

    private XdpNetProcess StartHost(NetNs ns, char host, string vtep, string peer)
    {
        Directory.CreateDirectory(HostDir(host));
        var config = JsonSerializer.Serialize(new
        {
            Node = new { Name = $"cnivx{host}{_suffix}", StateDirectory = Path.Combine(HostDir(host), "state") },
            Interfaces = new[] { new { Name = $"u{host}{_suffix}", Role = "uplink" } },
            Umem = new { FrameSize = 4096, Frames = 4096, Headroom = 256 },
            Rings = new { Rx = 256, Tx = 256, Fill = 256, Completion = 256, Batch = 64 },
            Vxlan = new { Vtep = vtep, Segments = new[] { new { Vni = 42, Interfaces = Array.Empty<string>(), Flood = new[] { peer } } } },
            Stats = new { Socket = Socket(host) },
        });
        var path = Path.Combine(HostDir(host), "host.json");
        File.WriteAllText(path, config);
        var x = XdpNetProcess.Start(ns, "run", "--config", path);
        _xdp.Add(x);
        x.WaitReady(Startup);
        return x;
    }

    private string PluginConfig(char host, string rangeStart, string rangeEnd) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["cniVersion"] = "1.0.0",
        ["name"] = "seg42",
        ["type"] = "xdpnet-cni",
        ["mode"] = "vxlan",
        ["vni"] = 42,
        ["subnet"] = "198.18.20.0/24",
        ["rangeStart"] = rangeStart,
        ["rangeEnd"] = rangeEnd,
        ["socket"] = Socket(host),
        ["dataDir"] = Path.Combine(HostDir(host), "ipam"),
    });

    [RootFact]
    public void ContainersOnTwoHostsTalkAcrossTheOverlay()
    {
        var a = Ns("cnivx-a");
        var b = Ns("cnivx-b");
        var sw = Ns("cnivx-sw");
        sw.ExecChecked("ip", "link", "add", "br" + _suffix, "type", "bridge");
        sw.ExecChecked("ip", "link", "set", "dev", "br" + _suffix, "up");
        foreach (var (host, ns, address) in new[] { ('a', a, "198.18.0.1/24"), ('b', b, "198.18.0.2/24") })
        {
            ns.AddVeth($"u{host}{_suffix}", sw, $"p{host}{_suffix}");
            sw.ExecChecked("ip", "link", "set", "dev", $"p{host}{_suffix}", "master", "br" + _suffix);
            ns.AddAddress($"u{host}{_suffix}", address);
            ns.ExecChecked("sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
        }
        var xa = StartHost(a, 'a', "198.18.0.1", "198.18.0.2");
        var xb = StartHost(b, 'b', "198.18.0.2", "198.18.0.1");
        string Why() => $"\n--- xdpnet A ---\n{xa.Output}\n--- xdpnet B ---\n{xb.Output}";

        var a1 = Ns("cnivx-a1");
        var b1 = Ns("cnivx-b1");
        var addA = new CniPluginRunner(a).Invoke("ADD", PluginConfig('a', "198.18.20.10", "198.18.20.99"), "ctr-a1", "/run/netns/" + a1.Name);
        var addB = new CniPluginRunner(b).Invoke("ADD", PluginConfig('b', "198.18.20.100", "198.18.20.199"), "ctr-b1", "/run/netns/" + b1.Name);
        Assert.True(addA.ExitCode == 0, addA + Why());
        Assert.True(addB.ExitCode == 0, addB + Why());
        using (var doc = addB.Json)
        {
            Assert.Equal("198.18.20.100/24", doc.RootElement.GetProperty("ips")[0].GetProperty("address").GetString());
            Assert.Equal(0, doc.RootElement.GetProperty("routes").GetArrayLength()); // no gateway configured: the segment only
        }
        Assert.Contains("mtu 1450", a1.ExecChecked("ip", "link", "show", "dev", "eth0").StdOut, StringComparison.Ordinal);

        var ok = false;
        for (var i = 0; i < 10 && !ok; i++) ok = a1.Exec(TimeSpan.FromSeconds(10), "ping", "-c", "1", "-W", "1", "198.18.20.100").Succeeded;
        Assert.True(ok, "a1 -> b1 across the overlay" + Why());
        Assert.True(b1.Exec(TimeSpan.FromSeconds(10), "ping", "-c", "3", "-i", "0.2", "-W", "1", "198.18.20.10").Succeeded, "b1 -> a1" + Why());

        Assert.Equal(0, new CniPluginRunner(a).Invoke("DEL", PluginConfig('a', "198.18.20.10", "198.18.20.99"), "ctr-a1", "/run/netns/" + a1.Name).ExitCode);
        Assert.Equal(0, new CniPluginRunner(b).Invoke("DEL", PluginConfig('b', "198.18.20.100", "198.18.20.199"), "ctr-b1", "/run/netns/" + b1.Name).ExitCode);
        Assert.False(a1.Exec(TimeSpan.FromSeconds(10), "ping", "-c", "1", "-W", "1", "198.18.20.100").Succeeded);
    }

    public void Dispose()
    {
        foreach (var x in _xdp)
        {
            Command.Run("kill", "-TERM", x.Pid.ToString(CultureInfo.InvariantCulture));
            try
            {
                x.WaitExit(TimeSpan.FromSeconds(20));
            }
            catch (TimeoutException)
            {
            }
            x.Dispose();
        }
        foreach (var ns in _namespaces) ns.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
