using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Cni;

/// <summary>
/// A real container runtime: podman (CNI backend) starts busybox containers with <c>--network &lt;xdpnet network&gt;</c>,
/// calls xdpnet-cni, and the containers talk through xdpnet; a label policy (labels from CNI_ARGS, which podman passes
/// on) blocks one of them; removing the containers (CNI DEL) leaves nothing behind.
/// </summary>
[Collection("netns")]
public sealed class PodmanTests
{
    private const string WebFromClient = """
        [ { "endpointSelector": { "matchLabels": { "app": "web" } },
            "ingress": [ { "fromEndpoints": [ { "matchLabels": { "app": "client" } } ] } ] } ]
        """;

    /// <summary>Each container's SIR address, from xdpnet's endpoint list (found by the pod-name label podman sets).</summary>
    private static Dictionary<string, string> Addresses(CniHost host, IEnumerable<string> names)
    {
        using var list = host.Request("endpoint list");
        var found = new Dictionary<string, string>();
        foreach (var e in list.RootElement.GetProperty("endpoints").EnumerateArray())
        {
            var labels = e.GetProperty("labels").EnumerateArray().Select(l => l.GetString()!).ToList();
            foreach (var name in names)
            {
                if (labels.Contains("io.kubernetes.pod.name=" + name)) found[name] = e.GetProperty("addresses")[0].GetString()!.Split('/')[0];
            }
        }
        return found;
    }

    [RootFact]
    public void PodmanContainersTalkThroughXdpNetAndALabelPolicyBlocksOne()
    {
        using var host = new CniHost(WebFromClient);
        var network = "xdpnet-podman-" + UniqueName.Suffix(6);
        using var podman = new PodmanRuntime(host.Host, host.Directory, network, host.PluginConfig());
        var suffix = UniqueName.Suffix(6);
        var names = new[] { "web", "client", "other" }.ToDictionary(n => n, n => $"{n}-{suffix}");
        foreach (var (role, name) in names)
        {
            var r = podman.Run(name, $"LABELS=app={role}");
            Assert.True(r.Succeeded, r + host.Why);
        }

        var address = Addresses(host, names.Values);
        Assert.Equal(3, address.Count);
        Assert.Equal(3, host.Allocations(network).Count);
        Assert.True(podman.PingEventually(names["client"], address[names["web"]]), "client -> web" + host.Why);
        Assert.True(podman.PingEventually(names["web"], address[names["other"]]), "web -> other" + host.Why);
        Assert.False(podman.PingEventually(names["other"], address[names["web"]], attempts: 3), "other -> web passed the policy" + host.Why);

        var rm = podman.Podman(null, "rm", "-f", "-t", "0", names["web"], names["client"], names["other"]);
        Assert.True(rm.Succeeded, rm.ToString());
        Assert.Empty(host.Plugin.HostVeths());
        Assert.Empty(host.Allocations(network));
        Assert.Equal(0, host.EndpointCount());
    }
}
