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
        using var podman = new PodmanRuntime(host.Directory, [(network, host.PluginConfig())]);
        var suffix = UniqueName.Suffix(6);
        var names = new[] { "web", "client", "other" }.ToDictionary(n => n, n => $"{n}-{suffix}");
        foreach (var (role, name) in names)
        {
            var r = podman.Run(host.Host, network, name, $"LABELS=app={role}");
            Assert.True(r.Succeeded, r + host.Why);
        }

        var address = Addresses(host, names.Values);
        Assert.Equal(3, address.Count);
        Assert.Equal(3, host.Allocations(network).Count);
        Assert.True(podman.PingEventually(host.Host, names["client"], address[names["web"]]), "client -> web" + host.Why);
        Assert.True(podman.PingEventually(host.Host, names["web"], address[names["other"]]), "web -> other" + host.Why);
        Assert.False(podman.PingEventually(host.Host, names["other"], address[names["web"]], attempts: 3), "other -> web passed the policy" + host.Why);

        var rm = podman.Podman(host.Host, null, "rm", "-f", "-t", "0", names["web"], names["client"], names["other"]);
        Assert.True(rm.Succeeded, rm.ToString());
        Assert.Empty(host.Plugin.HostVeths());
        Assert.Empty(host.Allocations(network));
        Assert.Equal(0, host.EndpointCount());
    }

    /// <summary>
    /// Two namespaced hosts, each with its own podman storage and its own network file for VXLAN segment 42 (its slice
    /// of the subnet, its xdpnet): a container started by podman on A pings one started on B across the overlay.
    /// </summary>
    [RootFact]
    public void PodmanContainersOnTwoHostsTalkAcrossAVxlanSegment()
    {
        using var pair = new CniVxlanPair();
        var suffix = UniqueName.Suffix(6);
        string netA = "xdpnet-seg42a-" + suffix, netB = "xdpnet-seg42b-" + suffix;
        using var podman = new PodmanRuntime(pair.Directory, [(netA, pair.PluginObject('a')), (netB, pair.PluginObject('b'))]);
        string onA = "a1-" + suffix, onB = "b1-" + suffix;
        var r = podman.Run(pair.A, netA, onA, null);
        Assert.True(r.Succeeded, r + pair.Why);
        r = podman.Run(pair.B, netB, onB, null);
        Assert.True(r.Succeeded, r + pair.Why);

        Assert.True(podman.PingEventually(pair.A, onA, "198.18.20.100"), "a1 (A) -> b1 (B)" + pair.Why);
        Assert.True(podman.PingEventually(pair.B, onB, "198.18.20.10"), "b1 (B) -> a1 (A)" + pair.Why);

        Assert.True(podman.Podman(pair.A, null, "rm", "-f", "-t", "0", onA).Succeeded);
        Assert.True(podman.Podman(pair.B, null, "rm", "-f", "-t", "0", onB).Succeeded);
        Assert.Empty(new CniPluginRunner(pair.A).HostVeths());
        Assert.Empty(new CniPluginRunner(pair.B).HostVeths());
    }
}
