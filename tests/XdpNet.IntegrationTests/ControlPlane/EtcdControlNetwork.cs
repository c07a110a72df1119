using System.Diagnostics;
using System.Globalization;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.ControlPlane;

/// <summary>
/// A real etcd (Debian's etcd-server) on a control network of its own: a namespace holding a bridge and etcd on
/// 198.18.253.1, and one veth per attached host namespace with 198.18.253.N/24.
/// <code>
///   [host A] k.. ----+
///   [host B] k.. ----+-- [ctl: bridge, etcd 198.18.253.1:2379]
///   [host C] k.. ----+
/// </code>
/// The control links are separate from the data plane's uplinks on purpose: xdpnet attaches XDP to its uplinks and
/// steers their traffic into AF_XDP, whereas its etcd client is an ordinary kernel TCP socket of the host namespace.
/// etcd can be stopped and started again on the same data directory (fault tests); Dispose kills it and deletes the
/// namespace, the veths (with it) and the data.
/// </summary>
public sealed class EtcdControlNetwork : IDisposable
{
    public const string EtcdPath = "/usr/bin/etcd";
    public const string Address = "198.18.253.1";
    public const string Url = $"http://{Address}:2379";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly string _suffix = UniqueName.Suffix(5);
    private readonly string _dataDir = Directory.CreateTempSubdirectory("xdpnet-ctlnet-etcd-").FullName;
    private readonly System.Text.StringBuilder _log = new();
    private Process? _etcd;
    private int _attached;

    private EtcdControlNetwork(NetNs ns) => Namespace = ns;

    public NetNs Namespace { get; }

    public string Bridge => "kb" + _suffix;

    /// <summary>The namespace, its bridge and a running, healthy etcd.</summary>
    public static EtcdControlNetwork Start()
    {
        var network = new EtcdControlNetwork(NetNs.Create("etcd"));
        try
        {
            var ns = network.Namespace;
            ns.ExecChecked("ip", "link", "add", network.Bridge, "type", "bridge");
            ns.ExecChecked("ip", "link", "set", "dev", network.Bridge, "up");
            ns.AddAddress(network.Bridge, Address + "/24");
            network.Launch();
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Links <paramref name="host"/> to the control bridge; returns the host's end (set it down to cut the host off etcd).</summary>
    public ControlLink Attach(NetNs host)
    {
        var n = ++_attached;
        var name = "k" + n.ToString(CultureInfo.InvariantCulture) + _suffix;
        var address = "198.18.253." + (n + 1).ToString(CultureInfo.InvariantCulture);
        host.AddVeth(name, Namespace, "q" + name);
        Namespace.ExecChecked("ip", "link", "set", "dev", "q" + name, "master", Bridge);
        host.AddAddress(name, address + "/24");
        return new ControlLink(host, name, address);
    }

    /// <summary>A host's end of its control link.</summary>
    public sealed record ControlLink(NetNs Host, string Interface, string Address)
    {
        public void Down() => Host.ExecChecked("ip", "link", "set", "dev", Interface, "down");

        public void Up() => Host.ExecChecked("ip", "link", "set", "dev", Interface, "up");
    }

    /// <summary><c>xdpnet ctl --etcd <see cref="Url"/> ...</c> run in <paramref name="from"/> (default: the etcd namespace).</summary>
    public CommandResult Ctl(NetNs? from, params string[] arguments) =>
        (from ?? Namespace).Exec("dotnet", [XdpNetProcess.XdpNetDll, "ctl", "--etcd", Url, .. arguments]);

    public CommandResult Ctl(params string[] arguments) => Ctl(null, arguments);

    /// <summary>Stops etcd with SIGKILL (a crash); <see cref="Restart"/> brings it back on the same data.</summary>
    public void Stop()
    {
        var p = _etcd ?? throw new InvalidOperationException("etcd is not running");
        p.Kill();
        p.WaitForExit(TimeSpan.FromSeconds(10));
        p.Dispose();
        _etcd = null;
    }

    public void Restart() => Launch();

    public string Log()
    {
        lock (_log) return _log.ToString();
    }

    private void Launch()
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // `ip netns exec` execs etcd: the process is etcd itself, so killing it stops etcd.
        foreach (var a in (string[])["netns", "exec", Namespace.Name, EtcdPath, "--name", "ctl", "--data-dir", _dataDir,
            "--listen-client-urls", Url, "--advertise-client-urls", Url,
            "--listen-peer-urls", $"http://{Address}:2380", "--initial-advertise-peer-urls", $"http://{Address}:2380",
            "--initial-cluster", $"ctl=http://{Address}:2380", "--initial-cluster-token", Namespace.Name,
            "--log-level", "warn", "--logger", "zap"])
        {
            info.ArgumentList.Add(a);
        }
        var p = Process.Start(info) ?? throw new InvalidOperationException("could not start etcd");
        p.OutputDataReceived += (_, e) => Append(e.Data);
        p.ErrorDataReceived += (_, e) => Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _etcd = p;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var health = Namespace.Exec(TimeSpan.FromSeconds(5), "curl", "-s", "-m", "2", Url + "/health");
            if (health.Succeeded && health.StdOut.Contains("\"health\":\"true\"", StringComparison.Ordinal)) return;
            if (p.HasExited) throw new InvalidOperationException($"etcd exited during start-up:\n{Log()}");
            if (clock.Elapsed > StartTimeout) throw new TimeoutException($"etcd not healthy within {StartTimeout.TotalSeconds} s:\n{Log()}");
            Thread.Sleep(200);
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            if (_log.Length < 64 * 1024) _log.AppendLine(line);
        }
    }

    public void Dispose()
    {
        if (_etcd is { } p)
        {
            try
            {
                p.Kill();
                p.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (InvalidOperationException)
            {
            }
            p.Dispose();
            _etcd = null;
        }
        Namespace.Dispose();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
