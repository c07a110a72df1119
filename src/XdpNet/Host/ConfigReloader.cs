using System.Net;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Worker;
using XdpNet.Configuration;
using XdpNet.Pipeline;

namespace XdpNet.Host;

/// <summary>
/// Live reload of the host file (SIGHUP or a change on disk, an endpoint request, a change in etcd): the new
/// configuration is loaded and validated, compiled into new tables off the hot path, and handed to the worker as one
/// update applied between two batches. A configuration that does not load or validate is refused key by key and the
/// running one stays. Local interfaces added or removed are applied live (<see cref="DataPlane{TPipeline}.Apply"/>):
/// each served interface keeps its interface index for as long as it is served (routes, endpoints, VXLAN members and
/// learned MACs name interfaces by that index), a new one takes the lowest free index, and the tables built for the
/// new set travel in the same worker update as the new port array. Settings that cannot change under a running data
/// plane (node, uplinks, an interface's queues/bind/attach/MAC/MTU, UMEM, rings, busy polling, stats socket) are
/// reported as needing a restart and keep their running values.
/// </summary>
public sealed class ConfigReloader
{
    private readonly Func<HostConfigLoadResult> _load;
    private readonly DataPlane<HostPipeline> _plane;
    // The interfaces by interface index, as the tables number them; null where an interface was removed.
    private ResolvedInterface?[] _slots;
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
        _slots = [.. interfaces];
        _resolver = resolver;
        _refresher = refresher;
        _hostAddresses = hostAddresses;
        _log = log;
    }

    /// <summary>The configuration in force.</summary>
    public HostConfig Running { get; private set; }

    public int Reloads { get; private set; }
    public int Refused { get; private set; }

    /// <summary>Why the last <see cref="Reload"/> was refused ("key: problem" each); empty after one that applied.</summary>
    public IReadOnlyList<string> LastErrors { get; private set; } = [];

    /// <summary>The interfaces by interface index, with a placeholder (no name) at each free index: what the tables are built from.</summary>
    public static IReadOnlyList<ResolvedInterface> Layout(IReadOnlyList<ResolvedInterface?> slots)
    {
        var list = new ResolvedInterface[slots.Count];
        for (var i = 0; i < slots.Count; i++) list[i] = slots[i] ?? new ResolvedInterface(i, "", 0, default, 1500);
        return list;
    }

    private bool Refuse(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        foreach (var p in list) _log.WriteLine($"reload refused: {p}; the running configuration stays");
        LastErrors = list;
        Refused++;
        return false;
    }

    /// <summary>Loads, validates and applies the configuration; false (and a log line per problem, in <see cref="LastErrors"/>) when it was refused.</summary>
    public bool Reload()
    {
        var loaded = _load();
        if (!loaded.Succeeded) return Refuse(loaded.Errors.Select(e => $"{e.Key}: {e.Problem}"));
        var next = loaded.Config!;
        foreach (var key in RestartOnlyChanges(Running, next)) _log.WriteLine($"reload: {key} changed; it takes effect after a restart");
        KeepRestartOnlySettings(Running, next);

        // Which interfaces come and go (by name), and the index each new one takes.
        var names = new HashSet<string>(next.Interfaces.Select(i => i.Name), StringComparer.Ordinal);
        var slots = (ResolvedInterface?[])_slots.Clone();
        var removed = new List<int>();
        for (var i = 0; i < slots.Length; i++)
        {
            if (slots[i] is { } r && !names.Contains(r.Name))
            {
                removed.Add(i);
                slots[i] = null;
            }
        }
        var served = new HashSet<string>(_slots.Where(r => r is not null).Select(r => r!.Name), StringComparer.Ordinal);
        var added = new List<(ResolvedInterface Resolved, InterfaceConfig Config)>();
        var problems = new List<string>();
        for (var i = 0; i < next.Interfaces.Count; i++)
        {
            var iface = next.Interfaces[i];
            if (served.Contains(iface.Name)) continue;
            var resolved = Resolve(next, i, problems);
            if (resolved is null) continue;
            var index = Array.IndexOf(slots, null);
            if (index < 0)
            {
                index = slots.Length;
                Array.Resize(ref slots, slots.Length + 1);
            }
            slots[index] = resolved with { Index = index };
            added.Add((slots[index]!, iface));
        }
        if (problems.Count > 0) return Refuse(problems);
        // Trailing free indexes are dropped, so the tables do not grow with every container that came and went.
        var count = slots.Length;
        while (count > 0 && slots[count - 1] is null) count--;
        if (count != slots.Length) Array.Resize(ref slots, count);

        HostPipeline pipeline;
        try
        {
            pipeline = HostPipelineBuilder.Build(next, Layout(slots), _resolver.ReadTable(), _hostAddresses,
                allocator: _plane.Worker.Pipeline.Policy?.Allocator);
        }
        catch (Exception e) when (e is ArgumentException or Xdp.Filter.Policy.PolicyLoadException or IOException)
        {
            return Refuse([e.Message]);
        }

        var prepared = new List<InterfacePlane>();
        try
        {
            foreach (var (resolved, config) in added)
            {
                var binding = new InterfaceBinding(config.Name, config.Queues, DataPlaneHost.ParseBind(config.Bind), DataPlaneHost.ParseAttach(config.Attach),
                    SteeringRulesFactory.Create(next, config, _hostAddresses));
                prepared.Add(_plane.Prepare(resolved.Index, binding));
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or Xdp.Runtime.Xsk.XskException or FileNotFoundException)
        {
            foreach (var p in prepared) DataPlane<HostPipeline>.Discard(p);
            return Refuse([$"Interfaces: {e.Message}"]);
        }

        var update = Update(pipeline, Running.Vxlan.MaxLearned == next.Vxlan.MaxLearned, removed);
        if (prepared.Count == 0 && removed.Count == 0)
        {
            var sequence = _plane.Worker.Publish(update);
            // Steer the new prefixes only once the worker can route them (it applies the update at its next batch).
            _plane.Worker.WaitApplied(sequence, TimeSpan.FromMilliseconds(100));
        }
        else
        {
            foreach (var removal in _plane.Apply(prepared, removed, slots.Length, update))
            {
                _log.WriteLine($"reload: interface {removal.Name} removed (index {removal.Index}): {removal.FramesReturned} frames returned to the pool"
                    + (removal.FramesLost > 0 ? $", {removal.FramesLost} held by the kernel and lost" : ""));
            }
            foreach (var p in prepared)
            {
                _log.WriteLine($"reload: interface {p.Name} added (index {p.Index}, {p.Sockets.Count} queue{(p.Sockets.Count == 1 ? "" : "s")}, XDP {(p.Program.ObtainedMode == Xdp.Runtime.Bpf.XdpAttachMode.Generic ? "generic" : "native")})");
            }
        }
        _slots = slots;
        if (pipeline.VxlanEnabled) DataPlaneHost.RequestVtepResolution(pipeline);
        _refresher.Reset(pipeline.Forwarding.Tables);
        foreach (var plane in _plane.Interfaces)
        {
            if (plane is null || prepared.Contains(plane)) continue;
            var config = next.Interfaces.Find(i => i.Name == plane.Name);
            if (config is not null) plane.Program.UpdateRules(SteeringRulesFactory.Create(next, config, _hostAddresses));
        }
        Running = next;
        Reloads++;
        LastErrors = [];
        var mappings = next.Ila.Domains.Sum(d => d.Mappings.Count);
        var policy = pipeline.Policy;
        _log.WriteLine($"reload: applied ({next.Interfaces.Count} interfaces, {next.Routes.Count} routes, {next.Endpoints.Count} endpoints, {next.Ila.Domains.Count} ILA domains, {mappings} mappings, {next.Vxlan.Segments.Count} VXLAN segments, {(policy is null ? "no policy" : $"{policy.Policy.Map.EntryCount} policy entries")})");
        return true;
    }

    /// <summary>An interface of <paramref name="next"/> as the kernel has it now; null (and a problem) when it cannot be served.</summary>
    private static ResolvedInterface? Resolve(HostConfig next, int index, List<string> problems)
    {
        var single = new HostConfig { Interfaces = [next.Interfaces[index]], Umem = next.Umem };
        var errors = new List<ConfigError>();
        var resolved = InterfaceResolver.Resolve(single, requireKernel: true, errors);
        foreach (var e in errors)
        {
            var key = e.Key.StartsWith("Interfaces:0", StringComparison.Ordinal) ? $"Interfaces:{index}{e.Key["Interfaces:0".Length..]}" : e.Key;
            problems.Add($"{key}: {e.Problem}");
        }
        return errors.Count == 0 && resolved.Count == 1 ? resolved[0] : null;
    }

    /// <summary>The worker's side of a reload: the new tables in place, learned state and tracked connections kept.</summary>
    private static PipelineUpdate<HostPipeline> Update(HostPipeline pipeline, bool keepLearned, IReadOnlyList<int> removed)
    {
        var tables = pipeline.Forwarding.Tables;
        var ila = pipeline.Ila;
        var ilaEnabled = pipeline.IlaEnabled;
        var neighbors = pipeline.Neighbors;
        var vxlan = pipeline.Vxlan;
        var vxlanEnabled = pipeline.VxlanEnabled;
        var policy = pipeline.Policy;
        var localInterfaces = pipeline.LocalInterfaces;
        int[] forget = [.. removed];
        return (ref HostPipeline p) =>
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
                    // A MAC learned behind a removed interface must not lead to whoever takes its index next.
                    foreach (var index in forget) learned.Forget(index);
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
                engine.SetLocalInterfaces(localInterfaces);
            }
            else p.Policy = policy;
            p.LocalInterfaces = localInterfaces;
        };
    }

    /// <summary>Keys whose change needs a restart, in configuration-path form.</summary>
    public static IEnumerable<string> RestartOnlyChanges(HostConfig running, HostConfig next)
    {
        if (running.Node.Name != next.Node.Name) yield return "Node:Name";
        if (running.Node.Cpu != next.Node.Cpu) yield return "Node:Cpu";
        if (running.Node.StateDirectory != next.Node.StateDirectory) yield return "Node:StateDirectory";
        // Local interfaces come and go live; an uplink added or removed, or a change to a served interface, waits.
        for (var i = 0; i < next.Interfaces.Count; i++)
        {
            var b = next.Interfaces[i];
            var a = running.Interfaces.Find(r => r.Name == b.Name);
            if (a is null)
            {
                if (b.Role != "local") yield return $"Interfaces:{i} (uplink {b.Name} added)";
                continue;
            }
            if (a.Role != b.Role) yield return $"Interfaces:{i}:Role";
            if (!a.Queues.SequenceEqual(b.Queues)) yield return $"Interfaces:{i}:Queues";
            if (a.Bind != b.Bind) yield return $"Interfaces:{i}:Bind";
            if (a.Attach != b.Attach) yield return $"Interfaces:{i}:Attach";
            if (a.Mac != b.Mac) yield return $"Interfaces:{i}:Mac";
            if (a.Mtu != b.Mtu) yield return $"Interfaces:{i}:Mtu";
        }
        foreach (var a in running.Interfaces)
        {
            if (a.Role != "local" && !next.Interfaces.Exists(b => b.Name == a.Name)) yield return $"Interfaces (uplink {a.Name} removed)";
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
        // Served interfaces keep their running settings (with the new file's steering); local ones only in the new
        // configuration are added, local ones only in the running one removed; uplinks stay as they run.
        var kept = new List<InterfaceConfig>();
        foreach (var i in running.Interfaces)
        {
            var named = next.Interfaces.Exists(n => n.Name == i.Name);
            if (!named && i.Role == "local") continue;
            kept.Add(new InterfaceConfig
            {
                Name = i.Name,
                Role = i.Role,
                Queues = i.Queues,
                Bind = i.Bind,
                Attach = i.Attach,
                Mac = i.Mac,
                Mtu = i.Mtu,
                Steering = steering.TryGetValue(i.Name, out var s) ? s : i.Steering,
            });
        }
        foreach (var i in next.Interfaces)
        {
            if (i.Role == "local" && !running.Interfaces.Exists(r => r.Name == i.Name)) kept.Add(i);
        }
        next.Interfaces = kept;
    }
}
