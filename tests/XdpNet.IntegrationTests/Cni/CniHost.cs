using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Cni;

/// <summary>
/// A container host for the CNI plugin: a namespace standing for the host, running <c>xdpnet run</c> as an ILA node
/// (SIR prefix 2001:db8:5151::/64, locator 2001:db8:a::/64, an uplink veth to an otherwise empty underlay namespace)
/// with no container interface in its file: every container comes through <c>xdpnet-cni</c> ADD, which creates the
/// veth and registers the endpoint live. Host forwarding is off, so whatever crosses the host went through xdpnet.
/// <code>
///   [c1 2001:db8:5151::1:0:0:100/128] --eth0 == xc...--+
///   [c2 ...:101]                       --eth0 == xc...--+-- [host: xdpnet]  ua == [underlay]
/// </code>
/// </summary>
public sealed class CniHost : IDisposable
{
    public const string SirPrefix = "2001:db8:5151::/64";
    public const string NetworkName = "xdpnet-ila-test";
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    private readonly string _suffix = UniqueName.Suffix(6);
    private readonly List<NetNs> _containers = [];
    private NetNs? _host, _underlay;

    public CniHost(string policy)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("xdpnet-cni-").FullName;
        try
        {
            _host = NetNs.Create("cni-host");
            _underlay = NetNs.Create("cni-ul");
            Host.ExecChecked("sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
            Host.AddVeth(Uplink, _underlay, "pu" + _suffix);
            Host.AddAddress(Uplink, "2001:db8:ff::a/64");
            File.WriteAllText(PolicyPath, policy);
            File.WriteAllText(ConfigPath, HostConfig());
            Xdp = XdpNetProcess.Start(Host, "run", "--config", ConfigPath);
            Xdp.WaitReady(Startup);
            Plugin = new CniPluginRunner(Host);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Directory { get; }
    public NetNs Host => _host!;
    public XdpNetProcess Xdp { get; } = null!;
    public CniPluginRunner Plugin { get; } = null!;
    public string Uplink => "ua" + _suffix;
    public string ConfigPath => Path.Combine(Directory, "host.json");
    public string PolicyPath => Path.Combine(Directory, "policy.json");
    public string Socket => Path.Combine(Directory, "control.sock");
    public string DataDir => Path.Combine(Directory, "ipam");
    public string Why => $"\n--- xdpnet ---\n{Xdp?.Output}";

    /// <summary>The host file: the uplink only; Frames cover 64 sockets x (Fill 128 + Tx 128).</summary>
    private string HostConfig() => JsonSerializer.Serialize(new
    {
        Node = new { Name = "cni" + _suffix, StateDirectory = Path.Combine(Directory, "state") },
        Interfaces = new[] { new { Name = Uplink, Role = "uplink" } },
        Umem = new { FrameSize = 2048, Frames = 16384, Headroom = 256 },
        Rings = new { Rx = 128, Tx = 128, Fill = 128, Completion = 128, Batch = 64 },
        Ila = new
        {
            Domains = new[] { new { SirPrefix, Locator = "2001:db8:a::/64", ChecksumMode = "neutral-map", Mappings = Array.Empty<object>() } },
            Miss = "forward",
        },
        Policy = new { Files = new[] { "policy.json" } },
        Stats = new { Socket },
    }, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The network configuration a runtime would stream to the plugin (the file in /etc/cni/net.d, one plugin).</summary>
    public string NetworkConfig(string? prevResult = null)
    {
        var config = new Dictionary<string, object>
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = NetworkName,
            ["type"] = "xdpnet-cni",
            ["mode"] = "ila",
            ["sirPrefix"] = SirPrefix,
            ["identifierRange"] = "1:0:0:100-1:0:0:1ff",
            ["socket"] = Socket,
            ["dataDir"] = DataDir,
            ["labels"] = new[] { "network=ila-test" },
        };
        if (prevResult is not null) config["prevResult"] = JsonDocument.Parse(prevResult).RootElement.Clone();
        return JsonSerializer.Serialize(config);
    }

    /// <summary>The plugin's object inside a runtime's conflist (the runtime adds name and cniVersion from the list).</summary>
    public string PluginConfig() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["type"] = "xdpnet-cni",
        ["mode"] = "ila",
        ["sirPrefix"] = SirPrefix,
        ["identifierRange"] = "1:0:0:200-1:0:0:2ff",
        ["socket"] = Socket,
        ["dataDir"] = DataDir,
    });

    /// <summary>A fresh container namespace (no interface but lo); its path is CNI_NETNS.</summary>
    public NetNs NewContainer()
    {
        var ns = NetNs.Create("cni-c");
        lock (_containers) _containers.Add(ns);
        return ns;
    }

    public static string NetNsPath(NetNs ns) => "/run/netns/" + ns.Name;

    public CniInvocation Add(NetNs container, string containerId, string args = "") =>
        Plugin.Invoke("ADD", NetworkConfig(), containerId, NetNsPath(container), "eth0", args);

    public CniInvocation Del(NetNs? container, string containerId, string? prevResult = null) =>
        Plugin.Invoke("DEL", NetworkConfig(prevResult), containerId, container is null ? "" : NetNsPath(container), "eth0");

    public CniInvocation Check(NetNs container, string containerId, string prevResult) =>
        Plugin.Invoke("CHECK", NetworkConfig(prevResult), containerId, NetNsPath(container), "eth0");

    /// <summary>The answer of one request line on xdpnet's control socket.</summary>
    public JsonDocument Request(string line) =>
        JsonDocument.Parse(XdpNet.Stats.StatsClient.Request(Socket, line, TimeSpan.FromSeconds(60)));

    public int EndpointCount()
    {
        using var answer = Request("endpoint list");
        return answer.RootElement.GetProperty("endpoints").GetArrayLength();
    }

    /// <summary>Addresses allocated in the plugin's store (one file per address).</summary>
    public IReadOnlyList<string> Allocations(string network = NetworkName)
    {
        var dir = Path.Combine(DataDir, network);
        if (!System.IO.Directory.Exists(dir)) return [];
        return System.IO.Directory.EnumerateFiles(dir).Select(Path.GetFileName).Where(n => System.Net.IPAddress.TryParse(n, out _)).ToList()!;
    }

    /// <summary>A ping that may need a moment (the first ones resolve neighbours): true when one of a few got an answer.</summary>
    public static bool PingEventually(NetNs from, string address, int attempts = 8)
    {
        for (var i = 0; i < attempts; i++)
        {
            if (Ping(from, address)) return true;
            Thread.Sleep(200);
        }
        return false;
    }

    public static bool Ping(NetNs from, string address) =>
        from.Exec(TimeSpan.FromSeconds(10), "ping", "-6", "-c", "1", "-W", "1", address).Succeeded;

    public void Dispose()
    {
        if (Xdp is not null)
        {
            Command.Run("kill", "-TERM", Xdp.Pid.ToString(CultureInfo.InvariantCulture));
            try
            {
                Xdp.WaitExit(TimeSpan.FromSeconds(20));
            }
            catch (TimeoutException)
            {
            }
            Xdp.Dispose();
        }
        foreach (var ns in _containers) ns.Dispose();
        _underlay?.Dispose();
        _host?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
