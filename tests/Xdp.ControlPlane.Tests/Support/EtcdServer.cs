using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Xdp.ControlPlane.Etcd;

namespace Xdp.ControlPlane.Tests.Support;

/// <summary>
/// A real etcd (Debian's etcd-server) of one or more members, run as root inside a fresh network namespace with
/// each member listening on 127.0.0.1 (its own ports) of that namespace only, with temporary data directories.
/// Members can be stopped and started again on the same data (fault tests); Dispose kills them and removes the
/// namespace and the data.
/// </summary>
internal sealed class EtcdServer : IDisposable
{
    public const string EtcdPath = "/usr/bin/etcd";
    private const int SIGKILL = 9;
    private const int SIGTERM = 15;
    private const int SIGCONT = 18;
    private const int SIGSTOP = 19;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Member[] _members;
    private readonly string _dataRoot;
    private readonly HttpClient _probe;
    private bool _disposed;

    private EtcdServer(NetworkNamespace ns, int members)
    {
        Namespace = ns;
        _dataRoot = Directory.CreateTempSubdirectory("xdpnet-etcd-").FullName;
        _members = new Member[members];
        var cluster = new StringBuilder();
        for (int i = 0; i < members; i++)
        {
            _members[i] = new Member($"m{i}", 2379 + (i * 100), 2380 + (i * 100), Path.Combine(_dataRoot, $"m{i}"));
            cluster.Append(i == 0 ? string.Empty : ",").Append(_members[i].Name).Append("=http://127.0.0.1:").Append(_members[i].PeerPort);
        }

        InitialCluster = cluster.ToString();
        _probe = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = ns.CreateTcpSocket();
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, token).ConfigureAwait(false);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            PooledConnectionLifetime = TimeSpan.Zero,
        })
        {
            Timeout = TimeSpan.FromSeconds(2),
        };
    }

    public NetworkNamespace Namespace { get; }

    private string InitialCluster { get; }

    /// <summary>The members' client URLs (reachable through <see cref="CreateClient"/>'s sockets only).</summary>
    public IReadOnlyList<Uri> ClientUrls => Array.ConvertAll(_members, m => m.ClientUrl);

    /// <summary>Starts <paramref name="members"/> etcd members in a new namespace and waits until all are healthy.</summary>
    public static EtcdServer Start(int members = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
        var ns = NetworkNamespace.Create("etcd");
        EtcdServer? server = null;
        try
        {
            server = new EtcdServer(ns, members);
            foreach (var member in server._members)
            {
                server.Launch(member);
            }

            foreach (var member in server._members)
            {
                server.WaitHealthy(member);
            }

            return server;
        }
        catch
        {
            if (server is not null)
            {
                server.Dispose();
            }
            else
            {
                ns.Dispose();
            }

            throw;
        }
    }

    /// <summary>A client of the given endpoints (default: all members) whose sockets live in the namespace.</summary>
    /// <param name="sockets">Given every socket the client creates (tests find a connection's port with it).</param>
    public EtcdClient CreateClient(
        IEnumerable<Uri>? endpoints = null,
        TimeSpan? connectTimeout = null,
        TimeSpan? requestTimeout = null,
        TimeSpan? watchCheckInterval = null,
        Action<System.Net.Sockets.Socket>? sockets = null) =>
        new(endpoints ?? ClientUrls, new EtcdClientOptions
        {
            CreateSocket = () =>
            {
                var socket = Namespace.CreateTcpSocket();
                sockets?.Invoke(socket);
                return socket;
            },
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(1),
            RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(5),
            WatchCheckInterval = watchCheckInterval ?? new EtcdClientOptions().WatchCheckInterval,
        });

    /// <summary>Kills member <paramref name="index"/> with SIGKILL (a crash) or SIGTERM, and waits for it to exit.</summary>
    public void Stop(int index = 0, bool crash = true)
    {
        var member = _members[index];
        var process = member.Process ?? throw new InvalidOperationException($"etcd member {member.Name} is not running.");
        _ = Kill(process.Id, crash ? SIGKILL : SIGTERM);
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill();
            process.WaitForExit();
        }

        process.Dispose();
        member.Process = null;
    }

    /// <summary>Freezes member <paramref name="index"/> with SIGSTOP: its connections stay open and silent.</summary>
    public void Pause(int index = 0) => Signal(index, SIGSTOP);

    /// <summary>Thaws a member frozen by <see cref="Pause"/> (SIGCONT).</summary>
    public void Resume(int index = 0) => Signal(index, SIGCONT);

    private void Signal(int index, int signal)
    {
        var member = _members[index];
        var process = member.Process ?? throw new InvalidOperationException($"etcd member {member.Name} is not running.");
        if (Kill(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>Starts member <paramref name="index"/> again on its data directory and waits until it is healthy.</summary>
    public void Restart(int index = 0)
    {
        var member = _members[index];
        if (member.Process is not null)
        {
            throw new InvalidOperationException($"etcd member {member.Name} is running.");
        }

        Launch(member);
        WaitHealthy(member);
    }

    /// <summary>What the members wrote to stderr (their log), for failure messages.</summary>
    public string Log()
    {
        var text = new StringBuilder();
        foreach (var member in _members)
        {
            lock (member.Log)
            {
                text.Append("--- ").Append(member.Name).AppendLine(" ---").Append(member.Log);
            }
        }

        return text.ToString();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var member in _members)
        {
            if (member.Process is { } process)
            {
                try
                {
                    process.Kill();
                    process.WaitForExit(TimeSpan.FromSeconds(10));
                }
                catch (InvalidOperationException)
                {
                }

                process.Dispose();
                member.Process = null;
            }
        }

        _probe.Dispose();
        Namespace.Dispose();
        try
        {
            Directory.Delete(_dataRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Launch(Member member)
    {
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // `ip netns exec` execs etcd, so the process is etcd itself. A progress interval of 1 s (default 10 min) lets a
        // test see progress notifications.
        string client = member.ClientUrl.ToString().TrimEnd('/');
        string peer = $"http://127.0.0.1:{member.PeerPort}";
        foreach (var argument in (string[])[
            "netns", "exec", Namespace.Name, EtcdPath,
            "--name", member.Name,
            "--data-dir", member.DataDir,
            "--listen-client-urls", client,
            "--advertise-client-urls", client,
            "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", peer,
            "--initial-cluster", InitialCluster,
            "--initial-cluster-state", "new",
            "--initial-cluster-token", Namespace.Name,
            "--logger", "zap",
            "--log-level", "warn",
            "--experimental-watch-progress-notify-interval", "1s",
        ])
        {
            info.ArgumentList.Add(argument);
        }

        lock (member.Log)
        {
            member.Log.Clear();
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start etcd.");
        process.OutputDataReceived += (_, e) => Append(member, e.Data);
        process.ErrorDataReceived += (_, e) => Append(member, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        member.Process = process;
    }

    private static void Append(Member member, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (member.Log)
        {
            // Bounded: a long test must not grow the log without limit.
            if (member.Log.Length < 64 * 1024)
            {
                member.Log.AppendLine(line);
            }
        }
    }

    /// <summary>Polls GET /health (true once the member has a leader and serves requests).</summary>
    private void WaitHealthy(Member member)
    {
        var deadline = Stopwatch.StartNew();
        string last = "no answer";
        while (deadline.Elapsed < StartTimeout)
        {
            if (member.Process is null || member.Process.HasExited)
            {
                throw new InvalidOperationException($"etcd member {member.Name} exited during start-up:\n{Log()}");
            }

            try
            {
                last = _probe.GetStringAsync(new Uri(member.ClientUrl, "/health")).GetAwaiter().GetResult();
                if (last.Contains("\"health\":\"true\"", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            Thread.Sleep(100);
        }

        throw new TimeoutException($"etcd member {member.Name} not healthy within {StartTimeout.TotalSeconds} s ({last}):\n{Log()}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private sealed class Member(string name, int clientPort, int peerPort, string dataDir)
    {
        public string Name { get; } = name;

        public Uri ClientUrl { get; } = new($"http://127.0.0.1:{clientPort}");

        public int PeerPort { get; } = peerPort;

        public string DataDir { get; } = dataDir;

        public StringBuilder Log { get; } = new();

        public Process? Process { get; set; }
    }
}
