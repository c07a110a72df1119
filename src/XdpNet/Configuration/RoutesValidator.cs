using System.Net;
using System.Net.Sockets;

namespace XdpNet.Configuration;

/// <summary>Routes: prefix, egress interface, next-hop MAC, gateway of the same family; no prefix twice.</summary>
internal sealed class RoutesValidator : IConfigSectionValidator
{
    public void Validate(ValidationContext context)
    {
        var routes = context.Config.Routes;
        var seen = new Dictionary<IPNetwork, int>();
        for (var i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            var key = $"Routes:{i}";
            IPNetwork? prefix = null;
            if (!ConfigSyntax.TryParsePrefix(route.Prefix, out var network, out var problem))
            {
                context.Add($"{key}:Prefix", problem);
            }
            else if (seen.TryGetValue(network, out var first))
            {
                context.Add($"{key}:Prefix", $"{network} is already routed by Routes:{first}");
            }
            else
            {
                seen.Add(network, i);
                prefix = network;
            }

            if (string.IsNullOrEmpty(route.Interface))
            {
                context.Add($"{key}:Interface", "an egress interface is required");
            }
            else if (context.InterfaceIndex(route.Interface) < 0)
            {
                context.Add($"{key}:Interface", $"'{route.Interface}' is not one of Interfaces");
            }

            if (route.NextHopMac is not null)
            {
                if (!ConfigSyntax.TryParseMac(route.NextHopMac, out var mac))
                    context.Add($"{key}:NextHopMac", $"'{route.NextHopMac}' is not a MAC address (six hex pairs, e.g. 02:00:00:00:00:01)");
                else if (!ConfigSyntax.IsUnicastMac(mac))
                    context.Add($"{key}:NextHopMac", $"'{route.NextHopMac}' is a multicast or zero address");
            }

            if (route.Gateway is not null)
            {
                if (!IPAddress.TryParse(route.Gateway, out var gateway) || route.Gateway.Contains('/', StringComparison.Ordinal))
                {
                    context.Add($"{key}:Gateway", $"'{route.Gateway}' is not an IPv4 or IPv6 address");
                }
                else if (prefix is IPNetwork p && gateway.AddressFamily != p.BaseAddress.AddressFamily)
                {
                    context.Add($"{key}:Gateway", $"{gateway} is {Family(gateway.AddressFamily)} but the prefix {p} is {Family(p.BaseAddress.AddressFamily)}");
                }
            }
        }
    }

    private static string Family(AddressFamily family) => family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
}
