using System.Net;
using Xdp.ControlPlane.Cluster;
using Xdp.Ila;
using XdpNet.Configuration;

namespace XdpNet.Host;

/// <summary>
/// The host file plus the cluster state from etcd: what a running instance enforces. The file wins where both name
/// the same thing (an endpoint name, an identifier in a domain, a MAC in a segment). Entries for SIR prefixes or VNIs
/// this host does not serve are left out, as are the host's own VTEP in flood lists. Policies are written as files
/// under <c>policyDirectory</c> and added to <c>Policy:Files</c>, so they are loaded and refused exactly as file policies.
/// </summary>
public static class ClusterMerge
{
    public static HostConfig Merge(HostConfig config, ClusterState state, string policyDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(state);
        var node = config.Node.Name;
        var localInterfaces = new HashSet<string>(config.Interfaces.Where(i => i.Role == "local").Select(i => i.Name), StringComparer.Ordinal);

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
                if (IPAddress.TryParse(a, out var ip)) addresses.Add(ip);
            }
        }

        foreach (var domain in config.Ila.Domains)
        {
            if (!IPNetwork.TryParse(domain.SirPrefix, out var sir)) continue;
            var key = sir.BaseAddress.ToString();
            if (!state.Mappings.TryGetValue(key, out var mappings)) continue;
            var known = new HashSet<ulong>(domain.Mappings.Select(m => IlaIdentifier.TryParse(m.Identifier, out var id) ? id.Value : 0));
            foreach (var m in mappings.Values.OrderBy(m => m.Identifier, StringComparer.Ordinal))
            {
                if (!IlaIdentifier.TryParse(m.Identifier, out var id) || !known.Add(id.Value)) continue;
                domain.Mappings.Add(new IlaMappingConfig { Identifier = m.Identifier, Locator = m.Locator, ChecksumMode = m.ChecksumMode });
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
