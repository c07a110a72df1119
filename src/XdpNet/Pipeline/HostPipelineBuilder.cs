using System.Net;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Wire;
using XdpNet.Configuration;

namespace XdpNet.Pipeline;

/// <summary>Compiles a validated configuration into the pipeline's tables (off the hot path).</summary>
public static class HostPipelineBuilder
{
    /// <summary>Routes and interfaces into <see cref="ForwardingTables"/>; route interfaces are looked up by name.</summary>
    public static ForwardingTables BuildForwarding(HostConfig config, IReadOnlyList<ResolvedInterface> interfaces, NeighbourTable? neighbours = null)
    {
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < interfaces.Count; i++) byName[interfaces[i].Name] = i;

        var builder = new RouteTableBuilder();
        var targets = new List<RouteTarget>(config.Routes.Count);
        for (var r = 0; r < config.Routes.Count; r++)
        {
            var route = config.Routes[r];
            if (!byName.TryGetValue(route.Interface, out var egress))
                throw new ArgumentException($"Routes:{r}:Interface: '{route.Interface}' is not a configured interface");
            RouteTarget target;
            if (route.NextHopMac is not null && MacAddress.TryParse(route.NextHopMac, out var mac))
                target = RouteTarget.Static(egress, mac);
            else if (route.Gateway is not null)
                target = RouteTarget.Via(egress, IPAddress.Parse(route.Gateway));
            else
                target = RouteTarget.OnLink(egress);
            builder.Add(IPNetwork.Parse(route.Prefix), targets.Count);
            targets.Add(target);
        }

        var fwdInterfaces = new ForwardingInterface[interfaces.Count];
        for (var i = 0; i < interfaces.Count; i++)
            fwdInterfaces[i] = new ForwardingInterface(interfaces[i].Name, interfaces[i].KernelIndex, interfaces[i].Mac, interfaces[i].Mtu);
        var tables = new ForwardingTables(builder.Build(), targets.ToArray(), fwdInterfaces, neighbours);
        return neighbours is null ? tables : tables.WithResolvedNeighbours(neighbours);
    }

    public static HostPipeline Build(HostConfig config, IReadOnlyList<ResolvedInterface> interfaces, NeighbourTable? neighbours = null) =>
        new(BuildForwarding(config, interfaces, neighbours));
}
