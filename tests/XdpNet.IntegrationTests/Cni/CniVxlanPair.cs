using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Cni;

/// <summary>
/// Two container hosts A and B, each running xdpnet as the VTEP of VXLAN segment 42 with no member in its file,
/// joined by an underlay bridge; containers attached by xdpnet-cni (mode vxlan) join the segment live and get an
/// address of 198.18.20.0/24 from their host's slice (A: .10-.99, B: .100-.199). ARP crosses the overlay by flooding.
/// <code>
///   [a1 198.18.20.10] == xc.. [A: VTEP 198.18.0.1] ua == [underlay bridge] == ub [B: VTEP 198.18.0.2] xc.. == [b1 198.18.20.100]
/// </code>
/// </summary>
public sealed class CniVxlanPair : IDisposable
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private readonly string _suffix = UniqueName.Suffix(6);
    private readonly List<NetNs> _namespaces = [];
    private readonly List<XdpNetProcess> _xdp = [];

    public CniVxlanPair()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("xdpnet-cni-vx-").FullName;
        try
        {
            A = Ns("cnivx-a");
            B = Ns("cnivx-b");
            var sw = Ns("cnivx-sw");
            sw.ExecChecked("ip", "link", "add", "br" + _suffix, "type", "bridge");
            sw.ExecChecked("ip", "link", "set", "dev", "br" + _suffix, "up");
            foreach (var (host, ns, address) in new[] { ('a', A, "198.18.0.1/24"), ('b', B, "198.18.0.2/24") })
            {
                ns.AddVeth($"u{host}{_suffix}", sw, $"p{host}{_suffix}");
                sw.ExecChecked("ip", "link", "set", "dev", $"p{host}{_suffix}", "master", "br" + _suffix);
                ns.AddAddress($"u{host}{_suffix}", address);
                ns.ExecChecked("sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
            }
            StartHost(A, 'a', "198.18.0.1", "198.18.0.2");
            StartHost(B, 'b', "198.18.0.2", "198.18.0.1");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Directory { get; }
    public NetNs A { get; } = null!;
    public NetNs B { get; } = null!;
    public string Why => string.Concat(_xdp.Select((x, i) => $"\n--- xdpnet {(char)('A' + i)} ---\n{x.Output}"));

    public NetNs Ns(string purpose)
    {
        var ns = NetNs.Create(purpose);
        _namespaces.Add(ns);
        return ns;
    }

    private string HostDir(char host) => Path.Combine(Directory, host.ToString());

    public string Socket(char host) => Path.Combine(HostDir(host), "control.sock");

    private void StartHost(NetNs ns, char host, string vtep, string peer)
    {
        System.IO.Directory.CreateDirectory(HostDir(host));
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
    }

    /// <summary>The plugin's object for host <paramref name="host"/> ('a' or 'b'): segment 42, the host's slice, its socket.</summary>
    public string PluginObject(char host) => JsonSerializer.Serialize(PluginKeys(host));

    /// <summary>A whole network configuration as a runtime streams it (name "seg42").</summary>
    public string NetworkConfig(char host)
    {
        var keys = PluginKeys(host);
        keys["cniVersion"] = "1.0.0";
        keys["name"] = "seg42";
        return JsonSerializer.Serialize(keys);
    }

    private Dictionary<string, object> PluginKeys(char host) => new()
    {
        ["type"] = "xdpnet-cni",
        ["mode"] = "vxlan",
        ["vni"] = 42,
        ["subnet"] = "198.18.20.0/24",
        ["rangeStart"] = host == 'a' ? "198.18.20.10" : "198.18.20.100",
        ["rangeEnd"] = host == 'a' ? "198.18.20.99" : "198.18.20.199",
        ["socket"] = Socket(host),
        ["dataDir"] = Path.Combine(HostDir(host), "ipam"),
    };

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
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
