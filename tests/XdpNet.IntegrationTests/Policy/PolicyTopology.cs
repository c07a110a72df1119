using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Policy;

/// <summary>
/// One container host running <c>xdpnet run</c> with policy, and three containers behind it (routed mode):
/// <code>
///   [web]   198.18.1.2 / 2001:db8:1::2   app=web      ── h1 ─┐
///   [client] 198.18.2.2 / 2001:db8:2::2  app=client   ── h2 ─┼─ [host: xdpnet, kernel forwarding off]
///   [other] 198.18.3.2 / 2001:db8:3::2   app=other    ── h3 ─┘
///           + 198.18.3.3, .3.4 / 2001:db8:3::3, ::4: addresses of no endpoint (world / CIDR identities)
/// </code>
/// Container i holds 198.18.i.x/24 and 2001:db8:i::x/64 with a default route via the host end (198.18.i.1,
/// 2001:db8:i::1, kernel addresses, so ARP/NDP for the gateway and pings to it stay with the kernel); xdpnet routes a
/// /32 and /128 per container address to its interface. Every container listens on TCP 80 and 81 (IPv4 and IPv6),
/// answering "ok" to anything sent. The policy file lives beside the configuration; <see cref="SetPolicy"/> rewrites
/// it and reloads with SIGHUP.
/// </summary>
public sealed class PolicyTopology : IDisposable
{
    public const int Web = 1, Client = 2, Other = 3;
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    /// <summary>A policy that selects no container: policy enforcement is on but nothing is default-deny.</summary>
    public const string NoPolicy = """[ { "endpointSelector": { "matchLabels": { "app": "nobody" } }, "ingress": [ {} ] } ]""";

    private readonly string _suffix = UniqueName.Suffix(6);
    private readonly List<Process> _listeners = [];
    private readonly NetNs?[] _containers = new NetNs?[4];
    private NetNs? _host;

    public PolicyTopology()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("xdpnet-policy-").FullName;
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
    public XdpNetProcess Xdp { get; private set; } = null!;
    public string ConfigPath => Path.Combine(Directory, "host.json");
    public string PolicyPath => Path.Combine(Directory, "policy.json");
    public string StatsSocket => Path.Combine(Directory, "stats.sock");
    public NetNs this[int container] => _containers[container]!;
    public string HostSide(int container) => $"h{container}{_suffix}";
    public string Inside(int container) => $"c{container}{_suffix}";

    public static string V4(int container, int host = 2) => $"198.18.{container}.{host}";
    public static string V6(int container, int host = 2) => $"2001:db8:{container}::{host}";
    public static string Address(int container, bool ipv6, int host = 2) => ipv6 ? V6(container, host) : V4(container, host);

    private string ScriptPath(string name) => Path.Combine(Directory, name);

    // Listener: every port on [::] (IPv4 too), answers "ok" to the first bytes of each connection and keeps it until the peer closes.
    private const string ListenerScript = """
        import socket, sys, threading
        def handle(c):
            try:
                c.recv(16)
                c.sendall(b"ok")
                while c.recv(16):
                    pass
            except OSError:
                pass
            finally:
                c.close()
        def serve(port):
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind(("::", port))
            s.listen(64)
            while True:
                c, _ = s.accept()
                threading.Thread(target=handle, args=(c,), daemon=True).start()
        for p in sys.argv[1:]:
            threading.Thread(target=serve, args=(int(p),), daemon=True).start()
        print("listening", flush=True)
        threading.Event().wait()
        """;

    // Client: host port timeout hold [source]; exit 0 when "ok" came back (after printing the local port and holding).
    private const string ClientScript = """
        import socket, sys, time
        host, port, timeout, hold, source = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
        try:
            s = socket.create_connection((host, port), timeout=timeout, source_address=(source, 0) if source else None)
            s.sendall(b"hi")
            if s.recv(16) != b"ok":
                sys.exit(3)
        except OSError as e:
            print("failed", e, flush=True)
            sys.exit(1)
        print(s.getsockname()[1], flush=True)
        time.sleep(hold)
        s.close()
        """;

    private void Create()
    {
        _host = NetNs.Create("pol-h");
        Host.ExecChecked("sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
        string[] names = ["", "web", "cli", "oth"];
        for (var c = Web; c <= Other; c++)
        {
            var ns = _containers[c] = NetNs.Create("pol-" + names[c]);
            Host.AddVeth(HostSide(c), ns, Inside(c));
            Host.AddAddress(HostSide(c), V4(c, 1) + "/24");
            Host.AddAddress(HostSide(c), V6(c, 1) + "/64");
            ns.AddAddress(Inside(c), V4(c) + "/24");
            ns.AddAddress(Inside(c), V6(c) + "/64");
            ns.ExecChecked("ip", "route", "add", "default", "via", V4(c, 1));
            ns.ExecChecked("ip", "-6", "route", "add", "default", "via", V6(c, 1));
        }
        foreach (var h in new[] { 3, 4 })
        {
            this[Other].AddAddress(Inside(Other), V4(Other, h) + "/24");
            this[Other].AddAddress(Inside(Other), V6(Other, h) + "/64");
        }

        File.WriteAllText(ScriptPath("tcp_listener.py"), ListenerScript);
        File.WriteAllText(ScriptPath("tcp_client.py"), ClientScript);
        File.WriteAllText(PolicyPath, NoPolicy);
        File.WriteAllText(ConfigPath, Config("policy.json"));

        for (var c = Web; c <= Other; c++) _listeners.Add(StartListener(this[c]));

        // The host kernel resolves every container address first, so xdpnet's next hops are known before any test.
        for (var c = Web; c <= Other; c++)
        {
            Host.ExecChecked("ping", "-c", "1", "-W", "2", V4(c));
            Host.ExecChecked("ping", "-6", "-c", "1", "-W", "2", V6(c));
        }
        foreach (var h in new[] { 3, 4 })
        {
            Host.ExecChecked("ping", "-c", "1", "-W", "2", V4(Other, h));
            Host.ExecChecked("ping", "-6", "-c", "1", "-W", "2", V6(Other, h));
        }

        Xdp = XdpNetProcess.Start(Host, "run", "--config", ConfigPath);
        Xdp.WaitReady(Startup);
        // Every pair reaches the other both ways before the tests start (neighbours, gateway resolution).
        for (var from = Web; from <= Other; from++)
        {
            for (var to = Web; to <= Other; to++)
            {
                if (from == to) continue;
                foreach (var ipv6 in new[] { false, true })
                {
                    var ok = false;
                    for (var i = 0; i < 10 && !ok; i++) ok = Connect(from, Address(to, ipv6), 80, timeoutSeconds: 1);
                    if (!ok) throw new InvalidOperationException($"warm-up: {from} never reached {Address(to, ipv6)}:80\n{Xdp.Output}");
                }
            }
        }
    }

    /// <summary>The host configuration: three local interfaces, a route per container address, the endpoints, the policy file.</summary>
    public string Config(string policyFile)
    {
        var routes = new List<object>();
        for (var c = Web; c <= Other; c++)
        {
            foreach (var h in c == Other ? new[] { 2, 3, 4 } : [2])
            {
                routes.Add(new { Prefix = V4(c, h) + "/32", Interface = HostSide(c) });
                routes.Add(new { Prefix = V6(c, h) + "/128", Interface = HostSide(c) });
            }
        }
        var config = new
        {
            Node = new { Name = "pol" + _suffix },
            Interfaces = new[] { Web, Client, Other }.Select(c => new { Name = HostSide(c), Role = "local" }).ToArray(),
            Umem = new { FrameSize = 4096, Frames = 8192, Headroom = 256 },
            Rings = new { Rx = 512, Tx = 512, Fill = 1024, Completion = 512, Batch = 64 },
            Routes = routes,
            Endpoints = new[]
            {
                new { Name = "web", Interface = HostSide(Web), Addresses = new[] { V4(Web), V6(Web) }, Labels = new[] { "app=web" } },
                new { Name = "client", Interface = HostSide(Client), Addresses = new[] { V4(Client), V6(Client) }, Labels = new[] { "app=client" } },
                new { Name = "other", Interface = HostSide(Other), Addresses = new[] { V4(Other), V6(Other) }, Labels = new[] { "app=other" } },
            },
            Policy = new { Files = new[] { policyFile } },
            Stats = new { Socket = StatsSocket },
        };
        return JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true });
    }

    private Process StartListener(NetNs ns)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns.Name, "/usr/bin/python3", ScriptPath("tcp_listener.py"), "80", "81" }) info.ArgumentList.Add(a);
        var p = Process.Start(info) ?? throw new InvalidOperationException("could not start the listener");
        var line = p.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(10)) || line.Result != "listening")
            throw new InvalidOperationException($"listener in {ns.Name} did not start: {p.StandardError.ReadToEnd()}");
        return p;
    }

    /// <summary>
    /// A TCP connection from container <paramref name="from"/> to <paramref name="address"/>:<paramref name="port"/>
    /// that sends, gets "ok" back and closes; false when it fails within the timeout.
    /// </summary>
    public bool Connect(int from, string address, int port, double timeoutSeconds = 1, string? source = null) =>
        this[from].Exec(TimeSpan.FromSeconds(timeoutSeconds + 10), "/usr/bin/python3", ScriptPath("tcp_client.py"), address,
            port.ToString(CultureInfo.InvariantCulture), timeoutSeconds.ToString(CultureInfo.InvariantCulture), "0", source ?? "").ExitCode == 0;

    /// <summary>A connection that stays open: the client process prints its local port and holds for <paramref name="holdSeconds"/>.</summary>
    public (Process Client, int LocalPort) Hold(int from, string address, int port, double holdSeconds)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", this[from].Name, "/usr/bin/python3", ScriptPath("tcp_client.py"), address,
                     port.ToString(CultureInfo.InvariantCulture), "2", holdSeconds.ToString(CultureInfo.InvariantCulture), "" })
            info.ArgumentList.Add(a);
        var p = Process.Start(info) ?? throw new InvalidOperationException("could not start the client");
        var line = p.StandardOutput.ReadLine();
        if (line is null || !int.TryParse(line, CultureInfo.InvariantCulture, out var localPort))
            throw new InvalidOperationException($"held connection failed: {line} {p.StandardError.ReadToEnd()}");
        return (p, localPort);
    }

    public bool Ping(int from, string address) =>
        this[from].Exec(TimeSpan.FromSeconds(10), "ping", address.Contains(':', StringComparison.Ordinal) ? "-6" : "-4", "-c", "1", "-W", "1", address).Succeeded;

    private int Count(string marker)
    {
        var output = Xdp.Output;
        var count = 0;
        for (var i = output.IndexOf(marker, StringComparison.Ordinal); i >= 0; i = output.IndexOf(marker, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    /// <summary>Number of reloads applied / refused so far (from the process output).</summary>
    public int Applied => Count("reload: applied");
    public int Refused => Count("reload refused");

    /// <summary>Writes the policy file and reloads with SIGHUP; returns true when the reload was applied, false when refused.</summary>
    public bool SetPolicy(string content)
    {
        var applied = Applied;
        var refused = Refused;
        File.WriteAllText(PolicyPath, content);
        Command.RunChecked("kill", "-HUP", Xdp.Pid.ToString(CultureInfo.InvariantCulture));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (Applied > applied) return true;
            if (Refused > refused) return false;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"no reload after SIGHUP:\n{Xdp.Output}");
    }

    /// <summary>Sum over all interfaces of drops with <paramref name="reason"/> (kebab-case name).</summary>
    public long Drops(string reason)
    {
        using var doc = XdpNetProcess.Stats(Host, StatsSocket);
        long total = 0;
        foreach (var i in doc.RootElement.GetProperty("interfaces").EnumerateArray())
        {
            if (i.TryGetProperty("drops", out var drops) && drops.TryGetProperty(reason, out var v)) total += v.GetInt64();
        }
        return total;
    }

    /// <summary>A counter of stats stage <paramref name="stage"/> (policy, conntrack).</summary>
    public long Stage(string stage, string counter)
    {
        using var doc = XdpNetProcess.Stats(Host, StatsSocket);
        return doc.RootElement.GetProperty("stages").GetProperty(stage).GetProperty(counter).GetInt64();
    }

    public JsonDocument Conntrack() =>
        JsonDocument.Parse(Host.ExecChecked("dotnet", XdpNetProcess.XdpNetDll, "conntrack", "--socket", StatsSocket, "--json").StdOut);

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
                // Killed by WaitExit; the namespaces go anyway.
            }
            Xdp.Dispose();
        }
        foreach (var p in _listeners)
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.Dispose();
        }
        foreach (var ns in _containers) ns?.Dispose();
        _host?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is harmless.
        }
    }
}
