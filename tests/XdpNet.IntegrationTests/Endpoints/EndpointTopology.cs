using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Endpoints;

/// <summary>
/// One container host running <c>xdpnet run</c> (routed mode, kernel forwarding off) with two static containers from
/// the file, and a third container whose veth exists but is not in the file: the tests attach it live through the
/// endpoint API of the control socket, as a CNI plugin would.
/// <code>
///   [one] 198.18.1.2 / 2001:db8:1::2   app=one  ── h1 ─┐
///   [two] 198.18.2.2 / 2001:db8:2::2   app=two  ── h2 ─┼─ [host: xdpnet]
///   [dyn] 198.18.20.5 / 2001:db8:20::5 (added live) ── hd ─┘
/// </code>
/// The host ends hold the containers' gateways (.1, ::1) as kernel addresses. The policy file selects app=dyn only:
/// it accepts anything from app=one, so traffic from two to dyn is default-denied once dyn is an endpoint.
/// </summary>
public sealed class EndpointTopology : IDisposable
{
    public const int One = 1, Two = 2;
    public const string DynV4 = "198.18.20.5", DynV6 = "2001:db8:20::5", DynMac = "02:00:00:00:20:05";
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    public const string Policy = """
        [ { "endpointSelector": { "matchLabels": { "app": "dyn" } },
            "ingress": [ { "fromEndpoints": [ { "matchLabels": { "app": "one" } } ] } ] } ]
        """;

    private readonly string _suffix = UniqueName.Suffix(6);
    private readonly NetNs?[] _containers = new NetNs?[3];
    private NetNs? _host;
    private NetNs? _dyn;

    public EndpointTopology()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("xdpnet-endpoints-").FullName;
        try
        {
            Create();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Directory { get; }
    public NetNs Host => _host!;
    public NetNs Dyn => _dyn!;
    public NetNs this[int container] => _containers[container]!;
    public XdpNetProcess Xdp { get; private set; } = null!;
    public string ConfigPath => Path.Combine(Directory, "host.json");
    public string Socket => Path.Combine(Directory, "control.sock");
    public string StateDirectory => Path.Combine(Directory, "state");
    public string HostSide(int container) => $"h{container}{_suffix}";
    public string DynHostSide => $"hd{_suffix}";
    public string DynInside => $"cd{_suffix}";

    public static string V4(int container, int host = 2) => $"198.18.{container}.{host}";
    public static string V6(int container, int host = 2) => $"2001:db8:{container}::{host}";

    public string Why => $"\n--- xdpnet ---\n{Xdp?.Output}";

    private void Create()
    {
        _host = NetNs.Create("ep-h");
        Host.ExecChecked("sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
        for (var c = One; c <= Two; c++)
        {
            var ns = _containers[c] = NetNs.Create(c == One ? "ep-one" : "ep-two");
            Host.AddVeth(HostSide(c), ns, $"c{c}{_suffix}");
            Host.AddAddress(HostSide(c), V4(c, 1) + "/24");
            Host.AddAddress(HostSide(c), V6(c, 1) + "/64");
            ns.AddAddress($"c{c}{_suffix}", V4(c) + "/24");
            ns.AddAddress($"c{c}{_suffix}", V6(c) + "/64");
            ns.ExecChecked("ip", "route", "add", "default", "via", V4(c, 1));
            ns.ExecChecked("ip", "-6", "route", "add", "default", "via", V6(c, 1));
            Host.ExecChecked("ping", "-c", "1", "-W", "2", V4(c));
            Host.ExecChecked("ping", "-6", "-c", "1", "-W", "2", V6(c));
        }

        // The container a CNI plugin would have set up: veth, addresses, routes; xdpnet does not know it yet.
        _dyn = NetNs.Create("ep-dyn");
        Host.AddVeth(DynHostSide, Dyn, DynInside);
        Dyn.ExecChecked("ip", "link", "set", "dev", DynInside, "address", DynMac);
        Host.AddAddress(DynHostSide, "198.18.20.1/24");
        Host.AddAddress(DynHostSide, "2001:db8:20::1/64");
        Dyn.AddAddress(DynInside, DynV4 + "/24");
        Dyn.AddAddress(DynInside, DynV6 + "/64");
        Dyn.ExecChecked("ip", "route", "add", "default", "via", "198.18.20.1");
        Dyn.ExecChecked("ip", "-6", "route", "add", "default", "via", "2001:db8:20::1");

        File.WriteAllText(Path.Combine(Directory, "policy.json"), Policy);
        File.WriteAllText(ConfigPath, Config());
        Start();
    }

    /// <summary>Starts xdpnet (again) on the same file and state directory.</summary>
    public void Start()
    {
        Xdp = XdpNetProcess.Start(Host, "run", "--config", ConfigPath);
        Xdp.WaitReady(Startup);
        for (var i = 0; i < 20 && !Ping(One, V4(Two)); i++) Thread.Sleep(100);
    }

    /// <summary>SIGTERM and wait: the clean stop.</summary>
    public void Stop()
    {
        Command.Run("kill", "-TERM", Xdp.Pid.ToString(CultureInfo.InvariantCulture));
        Xdp.WaitExit(TimeSpan.FromSeconds(20));
        Xdp.Dispose();
    }

    /// <summary>Rewrites the host file (with the dynamic container in it or not) and reloads by SIGHUP; true when applied.</summary>
    public bool ReloadWith(bool withDyn)
    {
        var applied = Count("reload: applied");
        var refused = Count("reload refused");
        File.WriteAllText(ConfigPath + ".new", Config(withDyn));
        File.Move(ConfigPath + ".new", ConfigPath, overwrite: true);
        Command.RunChecked("kill", "-HUP", Xdp.Pid.ToString(CultureInfo.InvariantCulture));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            // The file watcher may reload too: wait for the last one to settle.
            if (Count("reload: applied") > applied) return true;
            if (Count("reload refused") > refused) return false;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"no reload after SIGHUP:{Why}");
    }

    private int Count(string marker)
    {
        var output = Xdp.Output;
        var count = 0;
        for (var i = output.IndexOf(marker, StringComparison.Ordinal); i >= 0; i = output.IndexOf(marker, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    private string Config(bool withDyn = false)
    {
        var routes = new List<object>();
        for (var c = One; c <= Two; c++)
        {
            routes.Add(new { Prefix = V4(c) + "/32", Interface = HostSide(c) });
            routes.Add(new { Prefix = V6(c) + "/128", Interface = HostSide(c) });
        }
        var interfaces = new[] { One, Two }.Select(c => new { Name = HostSide(c), Role = "local" }).ToList();
        var endpoints = new List<object>
        {
            new { Name = "one", Interface = HostSide(One), Addresses = new[] { V4(One), V6(One) }, Labels = new[] { "app=one" } },
            new { Name = "two", Interface = HostSide(Two), Addresses = new[] { V4(Two), V6(Two) }, Labels = new[] { "app=two" } },
        };
        if (withDyn)
        {
            interfaces.Insert(0, new { Name = DynHostSide, Role = "local" });
            routes.Add(new { Prefix = DynV4 + "/32", Interface = DynHostSide });
            routes.Add(new { Prefix = DynV6 + "/128", Interface = DynHostSide });
            endpoints.Add(new { Name = "dyn-file", Interface = DynHostSide, Addresses = new[] { DynV4, DynV6 }, Labels = new[] { "app=dyn" } });
        }
        var config = new
        {
            Node = new { Name = "ep" + _suffix, StateDirectory },
            Interfaces = interfaces,
            Umem = new { FrameSize = 4096, Frames = 8192, Headroom = 256 },
            Rings = new { Rx = 512, Tx = 512, Fill = 1024, Completion = 512, Batch = 64 },
            Routes = routes,
            Endpoints = endpoints,
            Policy = new { Files = new[] { "policy.json" } },
            Stats = new { Socket },
        };
        return JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The endpoint add body for the dynamic container.</summary>
    public string DynEndpoint(string name = "dyn") => JsonSerializer.Serialize(new
    {
        name,
        @interface = DynHostSide,
        mac = DynMac,
        addresses = new[] { DynV4 + "/32", DynV6 + "/128" },
        labels = new[] { "app=dyn", "k8s:io.kubernetes.pod.namespace=default" },
    });

    /// <summary><c>xdpnet endpoint VERB --socket S ARGS --json</c> in the host namespace: exit code and the answer.</summary>
    public (int ExitCode, JsonDocument? Answer, string Output) Cli(params string[] arguments)
    {
        var args = new List<string> { XdpNetProcess.XdpNetDll, "endpoint" };
        args.AddRange(arguments);
        args.AddRange(["--socket", Socket, "--json"]);
        var r = Host.Exec(TimeSpan.FromSeconds(60), "dotnet", [.. args]);
        JsonDocument? doc = null;
        var line = r.StdOut.Trim();
        if (line.StartsWith('{')) doc = JsonDocument.Parse(line);
        return (r.ExitCode, doc, r.StdOut + r.StdErr);
    }

    /// <summary>One raw request line on the control socket (what the CNI plugin sends).</summary>
    public JsonDocument Request(string line) => JsonDocument.Parse(XdpNet.Stats.StatsClient.Request(Socket, line, TimeSpan.FromSeconds(60)));

    public JsonDocument Stats() => XdpNetProcess.Stats(Host, Socket);

    public int FreeFrames()
    {
        using var s = Stats();
        return s.RootElement.GetProperty("worker").GetProperty("free_frames").GetInt32();
    }

    /// <summary>The free-frame count once it has been the same for half a second (the pool at rest).</summary>
    public int FreeFramesAtRest()
    {
        var last = FreeFrames();
        var stable = 0;
        for (var i = 0; i < 100 && stable < 5; i++)
        {
            Thread.Sleep(100);
            var now = FreeFrames();
            stable = now == last ? stable + 1 : 0;
            last = now;
        }
        return last;
    }

    public bool Ping(int from, string address) => Ping(this[from], address);

    public static bool Ping(NetNs ns, string address) =>
        ns.Exec(TimeSpan.FromSeconds(10), "ping", address.Contains(':', StringComparison.Ordinal) ? "-6" : "-4", "-c", "1", "-W", "1", address).Succeeded;

    /// <summary>A ping that may need a moment (the first one after an add resolves the gateway): true when one of a few got an answer.</summary>
    public static bool PingEventually(NetNs ns, string address, int attempts = 5)
    {
        for (var i = 0; i < attempts; i++)
        {
            if (Ping(ns, address)) return true;
        }
        return false;
    }

    /// <summary>Whether an XDP program is attached to the dynamic container's host end.</summary>
    public bool DynSteered => Host.ExecChecked("ip", "link", "show", "dev", DynHostSide).StdOut.Contains("prog/xdp", StringComparison.Ordinal);

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
            catch (InvalidOperationException)
            {
                // Already disposed by Stop.
            }
            Xdp.Dispose();
        }
        _dyn?.Dispose();
        foreach (var ns in _containers) ns?.Dispose();
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
