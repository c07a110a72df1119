using System.Net;
using System.Numerics;
using Xdp.Filter.Policy;
using XdpNet.Pipeline;

namespace XdpNet.Configuration;

/// <summary>
/// Endpoints (names, local interfaces, addresses, "key=value" labels) and Policy (every file loads and compiles:
/// a policy error is reported with its file and the path inside it; conntrack size and timeouts).
/// </summary>
internal sealed class PolicyValidator : IConfigSectionValidator
{
    public void Validate(ValidationContext context)
    {
        var config = context.Config;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var addresses = new HashSet<IPAddress>();
        for (var e = 0; e < config.Endpoints.Count; e++)
        {
            var endpoint = config.Endpoints[e];
            var key = $"Endpoints:{e}";
            if (string.IsNullOrWhiteSpace(endpoint.Name)) context.Add($"{key}:Name", "an endpoint needs a name");
            else if (!names.Add(endpoint.Name)) context.Add($"{key}:Name", $"'{endpoint.Name}' names another endpoint too");
            if (!string.IsNullOrEmpty(endpoint.Interface))
            {
                var iface = config.Interfaces.Find(i => i.Name == endpoint.Interface);
                if (iface is null) context.Add($"{key}:Interface", $"'{endpoint.Interface}' is not a configured interface");
                else if (iface.Role != "local") context.Add($"{key}:Interface", $"'{endpoint.Interface}' has Role '{iface.Role}'; endpoints are behind 'local' interfaces");
            }
            if (endpoint.Addresses.Count == 0) context.Add($"{key}:Addresses", "an endpoint needs at least one address");
            for (var a = 0; a < endpoint.Addresses.Count; a++)
            {
                if (!IPAddress.TryParse(endpoint.Addresses[a], out var address) || address.AddressFamily is not (System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6))
                    context.Add($"{key}:Addresses:{a}", $"'{endpoint.Addresses[a]}' is not an IPv4 or IPv6 address");
                else if (!addresses.Add(address))
                    context.Add($"{key}:Addresses:{a}", $"'{endpoint.Addresses[a]}' belongs to another endpoint too");
            }
            for (var l = 0; l < endpoint.Labels.Count; l++)
            {
                if (!HostPipelineBuilder.TryParseLabel(endpoint.Labels[l], out _, out _))
                    context.Add($"{key}:Labels:{l}", $"'{endpoint.Labels[l]}' is not a label (key=value, e.g. app=web or k8s:app=web)");
            }
        }

        var ct = config.Policy.Conntrack;
        if (ct.Capacity is < 64 or > 1 << 26 || !BitOperations.IsPow2(ct.Capacity))
            context.Add("Policy:Conntrack:Capacity", $"{ct.Capacity} must be a power of two between 64 and 67108864");
        Positive(context, "TcpSynSeconds", ct.TcpSynSeconds);
        Positive(context, "TcpEstablishedSeconds", ct.TcpEstablishedSeconds);
        Positive(context, "TcpHalfClosedSeconds", ct.TcpHalfClosedSeconds);
        Positive(context, "TcpClosingSeconds", ct.TcpClosingSeconds);
        Positive(context, "UdpSeconds", ct.UdpSeconds);
        Positive(context, "UdpRepliedSeconds", ct.UdpRepliedSeconds);
        Positive(context, "IcmpSeconds", ct.IcmpSeconds);

        if (config.Policy.RulesDefault is not ("allow" or "deny"))
            context.Add("Policy:RulesDefault", $"'{config.Policy.RulesDefault}' is not one of \"allow\", \"deny\"");
        for (var r = 0; r < config.Policy.Rules.Count; r++)
        {
            foreach (var (field, problem) in HostPipelineBuilder.RuleProblems(config.Policy.Rules[r]))
                context.Add($"Policy:Rules:{r}:{field}", problem);
        }

        if (config.Policy.Files.Count == 0 || context.Errors.Count > 0) return;
        try
        {
            HostPipelineBuilder.BuildPolicy(config, [], new IdentityAllocator());
        }
        catch (PolicyLoadException e)
        {
            foreach (var error in e.Errors)
            {
                context.Add("Policy:Files", error.Path.Length == 0 ? $"{error.File}: {error.Problem}" : $"{error.File}: {error.Path}: {error.Problem}");
            }
        }
        catch (ArgumentException e)
        {
            context.Add("Policy:Files", e.Message);
        }
    }

    private static void Positive(ValidationContext context, string name, int seconds)
    {
        // 30 days: ConntrackSettings' bound, which catches a typo rather than a real limit.
        if (seconds is < 1 or > 30 * 24 * 3600) context.Add($"Policy:Conntrack:{name}", $"{seconds} must be between 1 and 2592000 seconds (30 days)");
    }
}
