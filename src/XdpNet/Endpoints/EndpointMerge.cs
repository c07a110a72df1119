using XdpNet.Configuration;

namespace XdpNet.Endpoints;

/// <summary>
/// The host configuration plus the endpoints added through the control socket: what the running instance serves.
/// Each endpoint brings a local interface, an <c>Endpoints</c> entry, and either a host route per address to its
/// interface with the container's MAC as next hop, or (with a VNI) the interface's membership of that VXLAN segment.
/// The result goes through the same validation as a file.
/// </summary>
public static class EndpointMerge
{
    public static HostConfig Merge(HostConfig config, IEnumerable<DynamicEndpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(endpoints);
        foreach (var e in endpoints)
        {
            if (!config.Interfaces.Exists(i => i.Name == e.Interface)) config.Interfaces.Add(new InterfaceConfig { Name = e.Interface, Role = "local" });
            config.Endpoints.Add(new EndpointConfig
            {
                Name = e.Name,
                Interface = e.Interface,
                Addresses = e.Addresses.ConvertAll(a => EndpointRequest.AddressOf(a).ToString()),
                Labels = [.. e.Labels],
            });
            if (e.Vni is int vni)
            {
                // A VNI the file does not configure is refused before it gets here; left out if the file lost it since.
                var segment = config.Vxlan.Segments.Find(s => s.Vni == vni);
                if (segment is not null && !segment.Interfaces.Contains(e.Interface)) segment.Interfaces.Add(e.Interface);
                continue;
            }
            foreach (var a in e.Addresses) config.Routes.Add(new RouteConfig { Prefix = a, Interface = e.Interface, NextHopMac = e.Mac });
        }
        return config;
    }

    /// <summary>A loaded host configuration merged with <paramref name="endpoints"/> and validated as a whole.</summary>
    public static HostConfigLoadResult Merge(HostConfigLoadResult file, IEnumerable<DynamicEndpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Succeeded) return file;
        var merged = Merge(file.Config!, endpoints);
        var errors = HostConfigValidator.Validate(merged);
        return errors.Count == 0 ? new HostConfigLoadResult(merged, []) : new HostConfigLoadResult(null, errors);
    }
}
