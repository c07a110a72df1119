using System.Net;
using Xdp.ControlPlane.Cluster;
using XdpNet.Configuration;

namespace XdpNet.Host;

/// <summary>
/// The host file plus the cluster state from etcd: what a running instance enforces. The file wins where both name
/// the same thing (an endpoint name, a MAC in a segment, a route's prefix). Entries for VNIs this host does not serve
/// are left out, as are the host's own VTEP in flood lists. Policies are written as files under
/// <c>policyDirectory</c> and added to <c>Policy:Files</c>, so they are loaded and refused exactly as file policies.
/// <para>
/// ILA mappings are not merged here: they live in <see cref="ClusterIlaMappings"/>' tables, changed in place per watch
/// event, so neither a mapping change nor any other reload copies or validates a million mappings.
/// </para>
/// <para>
/// An endpoint published for this host on one of its local interfaces (by an orchestrator, or a container moved
/// here) is routed there: a /128 (/32) route per address out of that interface, unless the file routes that prefix.
/// Without it, a packet for the container (ILA->SIR translated, or routed) would have no route on this host; inside a
/// SIR prefix the route also makes the identifier one of this host's. Endpoints of other hosts need no route here
/// (ILA reaches them through their mapping and locator route, VXLAN through the FDB), nor do members of VXLAN
/// segments, which are switched, not routed.
/// </para>
/// </summary>
public static class ClusterMerge
{
    public static HostConfig Merge(HostConfig config, ClusterState state, string policyDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(state);
        var node = config.Node.Name;
        var localInterfaces = new HashSet<string>(config.Interfaces.Where(i => i.Role == "local").Select(i => i.Name), StringComparer.Ordinal);

        var members = new HashSet<string>(config.Vxlan.Segments.SelectMany(s => s.Interfaces), StringComparer.Ordinal);
        var routed = new HashSet<IPNetwork>();
        foreach (var r in config.Routes)
        {
            if (IPNetwork.TryParse(r.Prefix, out var prefix)) routed.Add(prefix);
        }
        var names = new HashSet<string>(config.Endpoints.Select(e => e.Name), StringComparer.Ordinal);
        var addresses = new HashSet<IPAddress>(config.Endpoints.SelectMany(e => e.Addresses).Select(a => IPAddress.TryParse(a, out var ip) ? ip : IPAddress.None));
        foreach (var e in state.Endpoints.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (!names.Add(e.Name)) continue;
            if (e.Addresses.Any(a => IPAddress.TryParse(a, out var ip) && addresses.Contains(ip))) continue;
            // This host's endpoints are local when their interface is one of ours; everyone else's are remote.
            var local = e.Host == node && e.Interface is not null && localInterfaces.Contains(e.Interface);
            config.Endpoints.Add(new EndpointConfig { Name = e.Name, Interface = local ? e.Interface : null, Addresses = [.. e.Addresses], Labels = [.. e.Labels] });
            foreach (var a in e.Addresses)
            {
                if (!IPAddress.TryParse(a, out var ip)) continue;
                addresses.Add(ip);
                if (!local || members.Contains(e.Interface!)) continue;
                var host = new IPNetwork(ip, ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32);
                if (routed.Add(host)) config.Routes.Add(new RouteConfig { Prefix = host.ToString(), Interface = e.Interface! });
            }
        }

        var ownVtep = IPAddress.TryParse(config.Vxlan.Vtep, out var vtepAddress) ? vtepAddress : null;
        foreach (var segment in config.Vxlan.Segments)
        {
            if (state.Fdb.TryGetValue(segment.Vni, out var fdb))
            {
                var macs = new HashSet<string>(segment.Fdb.Select(f => f.Mac.ToLowerInvariant()), StringComparer.Ordinal);
                foreach (var f in fdb.Values.OrderBy(f => f.Mac, StringComparer.Ordinal))
                {
                    if (IPAddress.TryParse(f.Vtep, out var v) && v.Equals(ownVtep)) continue; // a MAC behind us is local
                    if (macs.Add(f.Mac.ToLowerInvariant())) segment.Fdb.Add(new VxlanFdbConfig { Mac = f.Mac, Vtep = f.Vtep });
                }
            }
            if (state.Flood.TryGetValue(segment.Vni, out var flood))
            {
                var vteps = new HashSet<IPAddress>(segment.Flood.Select(f => IPAddress.TryParse(f, out var v) ? v : IPAddress.None));
                foreach (var f in flood.OrderBy(f => f, StringComparer.Ordinal))
                {
                    if (!IPAddress.TryParse(f, out var v) || v.Equals(ownVtep) || !vteps.Add(v)) continue;
                    segment.Flood.Add(f);
                }
            }
        }

        if (state.Policies.Count > 0)
        {
            // Written afresh each time: a policy removed from etcd must disappear from the files too.
            if (Directory.Exists(policyDirectory)) Directory.Delete(policyDirectory, recursive: true);
            Directory.CreateDirectory(policyDirectory);
            foreach (var p in state.Policies.Values)
            {
                var extension = p.Text.TrimStart().StartsWith('{') || p.Text.TrimStart().StartsWith('[') ? ".json" : ".yaml";
                File.WriteAllText(Path.Combine(policyDirectory, p.Name + extension), p.Text);
            }
            config.Policy.Files.Add(policyDirectory);
        }
        return config;
    }
}
