using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using Xdp.Runtime.Bpf;
using XdpNet.Configuration;

namespace XdpNet.Pipeline;

/// <summary>What each interface's steering program hands to the data plane, from the configuration.</summary>
public static class SteeringRulesFactory
{
    /// <summary>
    /// <c>routed</c>: IPv4/IPv6 packets to any route prefix are owned; the host's own addresses
    /// (<paramref name="hostAddresses"/>) and <c>Exclude</c> stay with the kernel, as do ARP and anything else; on local
    /// interfaces the solicited-node multicast group (Neighbor Solicitations) is owned for the neighbour proxy.
    /// <c>all</c>: every frame. <c>rules</c>: the listed ethertypes, prefixes and UDP ports.
    /// </summary>
    public static SteeringRules Create(HostConfig config, InterfaceConfig iface, IEnumerable<IPAddress> hostAddresses)
    {
        var s = iface.Steering;
        var rules = new SteeringRules();
        // A VXLAN segment member is a bridge port: every frame it sends belongs to its segment (ARP and NDP included).
        if (IsSegmentMember(config, iface))
        {
            rules.OwnAll = true;
            return rules;
        }
        switch (s.Mode)
        {
            case "all":
                rules.OwnAll = true;
                return rules;
            case "rules":
                foreach (var e in s.Ethertypes) rules.EtherTypes.Add(ParseEthertype(e));
                foreach (var p in s.Prefixes) rules.Prefixes.Add(SteeringPrefix.Own(p));
                foreach (var port in s.UdpPorts) rules.UdpPorts.Add((ushort)port);
                break;
            default:
                foreach (var route in config.Routes) rules.Prefixes.Add(SteeringPrefix.Own(route.Prefix));
                // ILA: SIR destinations leave through the data plane, ILA destinations to our locators come back into it.
                foreach (var domain in config.Ila.Domains)
                {
                    rules.Prefixes.Add(SteeringPrefix.Own(domain.SirPrefix));
                    rules.Prefixes.Add(SteeringPrefix.Own(domain.Locator));
                }
                // Neighbour proxy: address-resolution solicitations go to the target's solicited-node group (RFC 4861
                // section 7.2.2). The data plane answers them, the host's own addresses included; advertisements
                // answering the kernel's own solicitations are unicast to a host address (/128 pass) and stay with it.
                if (IsNeighborProxy(iface))
                {
                    rules.Prefixes.Add(SteeringPrefix.Own(SolicitedNodePrefix));
                    rules.OwnArpRequests = true; // the proxy answers ARP requests; replies stay with the kernel
                }
                break;
        }
        // VXLAN: packets to our UDP port (checked before any prefix, so the VTEP's own address passing to the kernel
        // does not take them away).
        if (config.Vxlan.Segments.Count > 0 && iface.Role == "uplink" && s.Mode != "rules") rules.UdpPorts.Add((ushort)config.Vxlan.Port);
        var seen = new HashSet<IPNetwork>();
        var unique = new List<SteeringPrefix>(rules.Prefixes.Count);
        foreach (var p in rules.Prefixes)
        {
            if (seen.Add(p.Network)) unique.Add(p);
        }
        rules.Prefixes.Clear();
        rules.Prefixes.AddRange(unique);
        foreach (var e in s.Exclude)
        {
            var net = IPNetwork.Parse(e);
            if (seen.Add(net)) rules.Prefixes.Add(new SteeringPrefix(net, SteeringAction.Pass));
        }
        foreach (var a in hostAddresses)
        {
            var net = new IPNetwork(a, a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            if (seen.Add(net)) rules.Prefixes.Add(new SteeringPrefix(net, SteeringAction.Pass));
        }
        return rules;
    }

    /// <summary>True when <paramref name="iface"/> is a member of a VXLAN segment.</summary>
    public static bool IsSegmentMember(HostConfig config, InterfaceConfig iface) =>
        config.Vxlan.Segments.Exists(s => s.Interfaces.Contains(iface.Name));

    /// <summary>ff02::1:ff00:0/104, every solicited-node multicast address (RFC 4291 section 2.7.1).</summary>
    public const string SolicitedNodePrefix = "ff02::1:ff00:0/104";

    /// <summary>Local interfaces (container veths) have their Neighbor Solicitations answered by the data plane; the uplink's stay with the kernel.</summary>
    public static bool IsNeighborProxy(InterfaceConfig iface) => iface.Role == "local";

    /// <summary>Every unicast address of this network namespace (IPv6 link-local excluded: never routed).</summary>
    public static IReadOnlyList<IPAddress> LocalAddresses()
    {
        var list = new List<IPAddress>();
        foreach (var addresses in HostPipelineBuilder.KernelAddressesByInterface().Values)
        {
            foreach (var a in addresses)
            {
                if (!a.IsIPv6LinkLocal) list.Add(a);
            }
        }
        return list;
    }

    private static ushort ParseEthertype(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ushort.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : ushort.Parse(text, CultureInfo.InvariantCulture);
}
