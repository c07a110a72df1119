using System.Globalization;
using System.Runtime.InteropServices;
using Xdp.Runtime.Bpf;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Xsk;
using XdpNet.Configuration;
using XdpNet.Endpoints;
using XdpNet.Pipeline;

namespace XdpNet.Host;

/// <summary><c>xdpnet run</c>: sets the data plane up from a validated configuration and runs it until cancelled.</summary>
public static class DataPlaneHost
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(200);

    /// <param name="reload">Loads and validates the file again (same overrides); null disables live reload.</param>
    public static int Run(HostConfig config, string configPath, CancellationToken token, Func<HostConfigLoadResult>? reload = null)
    {
        var reloadRequested = 0;
        var filePolicies = config.Policy.Files.ToList();
        var store = LoadEndpoints(config);
        var file = config;
        using var cluster = config.Etcd.Endpoints.Count > 0 ? ClusterSource.Start(config, token, () => Interlocked.Exchange(ref reloadRequested, 1)) : null;
        // This host's containers in etcd: the file's local endpoints and the ones added through the control socket.
        void PublishEndpoints()
        {
            if (cluster is null) return;
            var (endpoints, mappings) = EndpointPublication.For(file, store.Endpoints);
            cluster.Publish(endpoints, mappings);
        }
        if (reload is not null)
        {
            // What runs: the host file, the endpoints added through the control socket, then the cluster state (its
            // endpoints are local when their interface is served here), validated together.
            var fileLoad = reload;
            reload = () => EndpointMerge.Merge(fileLoad(), store.Endpoints);
            if (cluster is not null)
            {
                var local = reload;
                reload = () => cluster.Merge(local());
            }
            if (store.Endpoints.Count > 0 || cluster is not null)
            {
                var merged = reload();
                if (!merged.Succeeded && store.Endpoints.Count > 0)
                {
                    foreach (var e in merged.Errors) Console.Error.WriteLine($"endpoint: saved endpoints refused: {e}; starting without them");
                    foreach (var e in store.Endpoints.ToList()) store.Remove(e.Name);
                    merged = reload();
                }
                if (merged.Succeeded) config = merged.Config!;
                else foreach (var e in merged.Errors) Console.Error.WriteLine($"etcd: state refused: {e}; running with the host file alone");
            }
        }
        if (store.Endpoints.Count > 0) PublishEndpoints();
        var errors = new List<ConfigError>();
        var interfaces = InterfaceResolver.Resolve(config, requireKernel: true, errors);
        if (errors.Count > 0)
        {
            foreach (var e in errors) Console.Error.WriteLine($"config error: {e}");
            return 2;
        }

        using var resolver = NeighbourResolver.Open();
        var hostAddresses = SteeringRulesFactory.LocalAddresses();
        var pipeline = HostPipelineBuilder.Build(config, interfaces, resolver.ReadTable(), hostAddresses);
        var tables = pipeline.Forwarding.Tables;
        foreach (var (ifindex, address) in tables.UnresolvedGateways()) resolver.RequestResolution(ifindex, address);
        RequestVtepResolution(pipeline);

        var bindings = config.Interfaces.Select(i => new InterfaceBinding(
            i.Name, i.Queues, ParseBind(i.Bind), ParseAttach(i.Attach), SteeringRulesFactory.Create(config, i, hostAddresses))).ToList();

        using var umem = new Umem(config.Umem.Frames, config.Umem.FrameSize, config.Umem.Headroom);
        var socketOptions = new XskSocketOptions
        {
            RxSize = (uint)config.Rings.Rx,
            TxSize = (uint)config.Rings.Tx,
            FillSize = (uint)config.Rings.Fill,
            CompletionSize = (uint)config.Rings.Completion,
            BusyPoll = config.BusyPoll.Enabled,
            BusyPollTimeoutUs = config.BusyPoll.TimeoutUs,
            BusyPollBudget = config.BusyPoll.Budget,
            PreferBusyPoll = config.BusyPoll.Prefer,
            TxSkbBudget = config.Rings.TxSkbBudget,
        };

        using var plane = new DataPlane<HostPipeline>(umem, bindings, socketOptions, pipeline, config.Rings.Batch);
        foreach (var port in plane.Interfaces.SelectMany(i => i!.States))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{port.Interface} (ifindex {port.Ifindex}) queue {port.Queue}: XDP {Describe(port.AttachMode)}, AF_XDP {(port.ZeroCopy ? "zero-copy" : "copy")}"));
        }
        plane.Start(config.Node.Cpu);
        var started = DateTimeOffset.UtcNow;
        var gate = new object();
        ConfigReloader? reloaderForEndpoints = null;
        var endpoints = reload is null ? null : new EndpointService(store, () => reloaderForEndpoints!.Running,
            () => reloaderForEndpoints!.Reload() ? null : reloaderForEndpoints.LastErrors, Console.Out, gate, PublishEndpoints);
        using var stats = HostStats.Serve(config, plane, started, endpoints is null ? null : line =>
        {
            // Requests can arrive before the reloader exists (between the socket opening and the loop starting).
            if (Volatile.Read(ref reloaderForEndpoints) is null)
                return """{"ok":false,"error":"request: the instance is starting; try again"}""";
            return endpoints.Handle(line);
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ready: node {config.Node.Name}, {interfaces.Count} interfaces, {config.Routes.Count} routes, {config.Vxlan.Segments.Count} VXLAN segments, worker on CPU {(config.Node.Cpu?.ToString(CultureInfo.InvariantCulture) ?? "any")}, stats on {stats.SocketPath}"));

        var refresher = new NeighbourRefresher(resolver, tables, t => plane.Worker.Publish((ref HostPipeline p) => p.Forwarding.Tables = t));
        var reloader = reload is null ? null : new ConfigReloader(config, reload, plane, interfaces, resolver, refresher, hostAddresses, Console.Out);
        Volatile.Write(ref reloaderForEndpoints, reloader);
        using var sighup = reloader is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
        {
            c.Cancel = true;
            Interlocked.Exchange(ref reloadRequested, 1);
        });
        using var watcher = reloader is null ? null : WatchFile(configPath, () => Interlocked.Exchange(ref reloadRequested, 1));
        // Policy files are part of the configuration: a change to one reloads too (files, directories and globs named at
        // start; a directory added later by a reload is watched after a restart, SIGHUP reloads it meanwhile).
        var policyWatchers = reloader is null ? [] : WatchPolicies(filePolicies, () => Interlocked.Exchange(ref reloadRequested, 1));
        while (!token.WaitHandle.WaitOne(RefreshInterval))
        {
            // Endpoint requests change the running state too (from the stats server's threads): one at a time.
            lock (gate)
            {
                if (Interlocked.Exchange(ref reloadRequested, 0) == 1) reloader!.Reload();
                refresher.Tick();
            }
        }

        foreach (var w in policyWatchers) w.Dispose();
        stats.Dispose(); // no snapshot may read the plane while it is torn down
        plane.Dispose();
        Console.WriteLine("stopped: steering programs detached, sockets closed");
        foreach (var c in plane.Interfaces.Where(i => i is not null).Select(i => i!.Counters))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{c.Name}: rx {c.RxPackets} packets {c.RxBytes} bytes, tx {c.TxPackets} packets {c.TxBytes} bytes, drops {c.TotalDrops}"));
        }
        return 0;
    }

    /// <summary>
    /// The endpoints saved by a previous run (<c>endpoints.json</c> in the state directory); one whose interface no
    /// longer exists (its container went while xdpnet was down) is dropped and the file rewritten.
    /// </summary>
    private static EndpointStore LoadEndpoints(HostConfig config)
    {
        var problems = new List<string>();
        var store = EndpointStore.Load(config.Node.StateDirectoryOrDefault(), problems);
        foreach (var p in problems) Console.Error.WriteLine($"endpoint: {p}");
        var dropped = false;
        foreach (var e in store.Endpoints.ToList())
        {
            if (Directory.Exists(Path.Combine("/sys/class/net", e.Interface))) continue;
            Console.Error.WriteLine($"endpoint: dropped saved endpoint {e.Name}: interface {e.Interface} no longer exists");
            store.Remove(e.Name);
            dropped = true;
        }
        if (dropped)
        {
            try
            {
                store.Save();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"endpoint: cannot write {store.FilePath}: {e.Message}");
            }
        }
        if (store.Endpoints.Count > 0) Console.WriteLine($"endpoint: {store.Endpoints.Count} saved endpoints from {store.FilePath}");
        return store;
    }

    /// <summary>
    /// Remote VTEPs named in the configuration (flood lists, static FDB) are looked up once, so the ones whose MAC is
    /// unknown land in the miss log and the refresher has the kernel resolve them before the first frame needs them.
    /// </summary>
    internal static void RequestVtepResolution(in HostPipeline pipeline)
    {
        if (!pipeline.VxlanEnabled) return;
        var tables = pipeline.Forwarding.Tables;
        var vxlan = pipeline.Vxlan.Tables;
        foreach (var vtep in vxlan.ConfiguredVteps())
        {
            tables.ResolveNextHop(vtep.Value, vtep.IsIpv6, vxlan.Settings.UplinkInterface, out _, out _);
        }
    }

    /// <summary>Watches each policy entry: a directory for any file in it, a file or glob in its directory by name pattern.</summary>
    private static List<FileSystemWatcher> WatchPolicies(IReadOnlyList<string> entries, Action changed)
    {
        var watchers = new List<FileSystemWatcher>();
        foreach (var entry in entries)
        {
            var isDirectory = Directory.Exists(entry);
            var directory = isDirectory ? entry : Path.GetDirectoryName(entry);
            if (directory is null || !Directory.Exists(directory)) continue;
            var watcher = new FileSystemWatcher(directory, isDirectory ? "*" : Path.GetFileName(entry))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size,
            };
            watcher.Changed += (_, _) => changed();
            watcher.Created += (_, _) => changed();
            watcher.Deleted += (_, _) => changed();
            watcher.Renamed += (_, _) => changed();
            watcher.EnableRaisingEvents = true;
            watchers.Add(watcher);
        }
        return watchers;
    }

    /// <summary>Watches the file (editors replace it, so the directory is watched for its name).</summary>
    private static FileSystemWatcher? WatchFile(string path, Action changed)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is null || !Directory.Exists(directory)) return null;
        var watcher = new FileSystemWatcher(directory, Path.GetFileName(path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size,
        };
        watcher.Changed += (_, _) => changed();
        watcher.Created += (_, _) => changed();
        watcher.Renamed += (_, _) => changed();
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private static string Describe(XdpAttachMode mode) => mode == XdpAttachMode.Generic ? "generic (skb)" : "native (driver)";

    internal static XskBindMode ParseBind(string value) => value switch
    {
        "copy" => XskBindMode.Copy,
        "zerocopy" => XskBindMode.ZeroCopy,
        _ => XskBindMode.Auto,
    };

    internal static XdpAttachMode ParseAttach(string value) => value switch
    {
        "native" => XdpAttachMode.Native,
        "generic" => XdpAttachMode.Generic,
        _ => XdpAttachMode.Auto,
    };
}
