using System.Net;
using Xdp.Runtime.Routing;
using XdpNet.Configuration;
using XdpNet.Pipeline;

namespace XdpNet.Host;

/// <summary>
/// Live reload of the host file (SIGHUP or a change on disk): the new file is loaded and validated, compiled into
/// new tables off the hot path, and handed to the worker as one update applied between two batches. A file that
/// does not load or validate is refused key by key and the running configuration stays. Settings that cannot
/// change under a running data plane (node, interfaces other than their steering, UMEM, rings, busy polling,
/// stats socket) are reported as needing a restart and keep their running values.
/// </summary>
public sealed class ConfigReloader
{
    private readonly Func<HostConfigLoadResult> _load;
    private readonly DataPlane<HostPipeline> _plane;
    private readonly IReadOnlyList<ResolvedInterface> _interfaces;
    private readonly NeighbourResolver _resolver;
    private readonly NeighbourRefresher _refresher;
    private readonly IReadOnlyList<IPAddress> _hostAddresses;
    private readonly TextWriter _log;

    public ConfigReloader(HostConfig running, Func<HostConfigLoadResult> load, DataPlane<HostPipeline> plane, IReadOnlyList<ResolvedInterface> interfaces,
        NeighbourResolver resolver, NeighbourRefresher refresher, IReadOnlyList<IPAddress> hostAddresses, TextWriter log)
    {
        Running = running;
        _load = load;
        _plane = plane;
        _interfaces = interfaces;
        _resolver = resolver;
        _refresher = refresher;
        _hostAddresses = hostAddresses;
        _log = log;
    }

    /// <summary>The configuration in force.</summary>
    public HostConfig Running { get; private set; }

    public int Reloads { get; private set; }
    public int Refused { get; private set; }

    /// <summary>Loads, validates and applies the file; false (and a log line per problem) when it was refused.</summary>
    public bool Reload()
    {
        var loaded = _load();
        if (!loaded.Succeeded)
        {
            foreach (var e in loaded.Errors) _log.WriteLine($"reload refused: {e.Key}: {e.Problem}; the running configuration stays");
            Refused++;
            return false;
        }
        var next = loaded.Config!;
        foreach (var key in RestartOnlyChanges(Running, next)) _log.WriteLine($"reload: {key} changed; it takes effect after a restart");
        KeepRestartOnlySettings(Running, next);

        HostPipeline pipeline;
        try
        {
            pipeline = HostPipelineBuilder.Build(next, _interfaces, _resolver.ReadTable(), _hostAddresses,
                allocator: _plane.Worker.Pipeline.Policy?.Allocator);
        }
        catch (Exception e) when (e is ArgumentException or Xdp.Filter.Policy.PolicyLoadException or IOException)
        {
            _log.WriteLine($"reload refused: {e.Message}; the running configuration stays");
            Refused++;
            return false;
        }

        var tables = pipeline.Forwarding.Tables;
        var ila = pipeline.Ila;
        var ilaEnabled = pipeline.IlaEnabled;
        var neighbors = pipeline.Neighbors;
        var vxlan = pipeline.Vxlan;
        var vxlanEnabled = pipeline.VxlanEnabled;
        var keepLearned = Running.Vxlan.MaxLearned == next.Vxlan.MaxLearned;
        var policy = pipeline.Policy;
        var localInterfaces = pipeline.LocalInterfaces;
        _plane.Worker.Publish((ref HostPipeline p) =>
        {
            p.Forwarding.Tables = tables;
            p.Ila = ila;
            p.IlaEnabled = ilaEnabled;
            p.Neighbors = neighbors;
            if (vxlanEnabled && p.Vxlan.Learned is { } learned)
            {
                // Learned MACs and counters outlive a reload (the same capacity); the configured tables are replaced.
                if (keepLearned)
                {
                    learned.AgeingMilliseconds = vxlan.Tables.Settings.AgeingMilliseconds;
                    p.Vxlan = new Xdp.Vxlan.VxlanStage(vxlan.Tables, learned, p.Vxlan.Counters);
                }
                else
                {
                    p.Vxlan = new Xdp.Vxlan.VxlanStage(vxlan.Tables, vxlan.Learned, p.Vxlan.Counters);
                }
            }
            else if (vxlanEnabled)
            {
                p.Vxlan = vxlan;
            }
            p.VxlanEnabled = vxlanEnabled;
            // The running engine keeps its tracked connections and takes the new policy; a first policy brings its own.
            if (policy is null) p.Policy = null;
            else if (p.Policy is { } engine)
            {
                engine.Install(policy.Policy, [.. policy.EndpointInterfaces], policy.InterfaceCount);
                engine.InstallRules(policy.Rules);
            }
            else p.Policy = policy;
            p.LocalInterfaces = localInterfaces;
        });
        if (vxlanEnabled) DataPlaneHost.RequestVtepResolution(pipeline);
        _refresher.Reset(tables);
        // Steer the new prefixes only once the worker can route them (it applies the update at its next batch).
        for (var wait = 0; wait < 100 && !_plane.Worker.UpdatesApplied; wait++) Thread.Sleep(1);
        for (var i = 0; i < next.Interfaces.Count && i < _plane.Programs.Count; i++)
        {
            _plane.Programs[i].UpdateRules(SteeringRulesFactory.Create(next, next.Interfaces[i], _hostAddresses));
        }
        Running = next;
        Reloads++;
        var mappings = next.Ila.Domains.Sum(d => d.Mappings.Count);
        _log.WriteLine($"reload: applied ({next.Routes.Count} routes, {next.Ila.Domains.Count} ILA domains, {mappings} mappings, {next.Vxlan.Segments.Count} VXLAN segments, {(policy is null ? "no policy" : $"{policy.Policy.Map.EntryCount} policy entries")})");
        return true;
    }

    /// <summary>Keys whose change needs a restart, in configuration-path form.</summary>
    public static IEnumerable<string> RestartOnlyChanges(HostConfig running, HostConfig next)
    {
        if (running.Node.Name != next.Node.Name) yield return "Node:Name";
        if (running.Node.Cpu != next.Node.Cpu) yield return "Node:Cpu";
        if (running.Interfaces.Count != next.Interfaces.Count) yield return "Interfaces";
        for (var i = 0; i < Math.Min(running.Interfaces.Count, next.Interfaces.Count); i++)
        {
            var a = running.Interfaces[i];
            var b = next.Interfaces[i];
            if (a.Name != b.Name) yield return $"Interfaces:{i}:Name";
            if (a.Role != b.Role) yield return $"Interfaces:{i}:Role";
            if (!a.Queues.SequenceEqual(b.Queues)) yield return $"Interfaces:{i}:Queues";
            if (a.Bind != b.Bind) yield return $"Interfaces:{i}:Bind";
            if (a.Attach != b.Attach) yield return $"Interfaces:{i}:Attach";
            if (a.Mac != b.Mac) yield return $"Interfaces:{i}:Mac";
            if (a.Mtu != b.Mtu) yield return $"Interfaces:{i}:Mtu";
        }
        if (running.Umem.FrameSize != next.Umem.FrameSize || running.Umem.Frames != next.Umem.Frames || running.Umem.Headroom != next.Umem.Headroom)
            yield return "Umem";
        var r = running.Rings;
        var n = next.Rings;
        if (r.Rx != n.Rx || r.Tx != n.Tx || r.Fill != n.Fill || r.Completion != n.Completion || r.Batch != n.Batch || r.TxSkbBudget != n.TxSkbBudget)
            yield return "Rings";
        var bp = running.BusyPoll;
        var nb = next.BusyPoll;
        if (bp.Enabled != nb.Enabled || bp.TimeoutUs != nb.TimeoutUs || bp.Budget != nb.Budget || bp.Prefer != nb.Prefer) yield return "BusyPoll";
        if (running.Stats.Socket != next.Stats.Socket) yield return "Stats:Socket";
        var ct = running.Policy.Conntrack;
        var nct = next.Policy.Conntrack;
        if (ct.Capacity != nct.Capacity || ct.TcpSynSeconds != nct.TcpSynSeconds || ct.TcpEstablishedSeconds != nct.TcpEstablishedSeconds
            || ct.TcpHalfClosedSeconds != nct.TcpHalfClosedSeconds || ct.TcpClosingSeconds != nct.TcpClosingSeconds
            || ct.UdpSeconds != nct.UdpSeconds || ct.UdpRepliedSeconds != nct.UdpRepliedSeconds || ct.IcmpSeconds != nct.IcmpSeconds)
            yield return "Policy:Conntrack";
    }

    /// <summary>The running values of every restart-only setting replace the file's (each interface keeps the new file's steering).</summary>
    private static void KeepRestartOnlySettings(HostConfig running, HostConfig next)
    {
        var steering = next.Interfaces.ToDictionary(i => i.Name, i => i.Steering, StringComparer.Ordinal);
        next.Node = running.Node;
        next.Umem = running.Umem;
        next.Rings = running.Rings;
        next.BusyPoll = running.BusyPoll;
        next.Stats = running.Stats;
        next.Policy.Conntrack = running.Policy.Conntrack;
        next.Interfaces = running.Interfaces.Select(i => new InterfaceConfig
        {
            Name = i.Name,
            Role = i.Role,
            Queues = i.Queues,
            Bind = i.Bind,
            Attach = i.Attach,
            Mac = i.Mac,
            Mtu = i.Mtu,
            Steering = steering.TryGetValue(i.Name, out var s) ? s : i.Steering,
        }).ToList();
    }
}
