using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Cni;

/// <summary>
/// xdpnet-cni driven as the CNI spec describes (environment + stdin) against a real xdpnet (<see cref="CniHost"/>):
/// ADD/CHECK/DEL of one container, 50 concurrent ADDs, and containers attached by the plugin talking through xdpnet
/// with a label policy in force.
/// </summary>
[Collection("netns")]
public sealed class CniPluginTests
{
    /// <summary>web accepts anything from app=client only; nothing else is selected.</summary>
    private const string WebFromClient = """
        [ { "endpointSelector": { "matchLabels": { "app": "web" } },
            "ingress": [ { "fromEndpoints": [ { "matchLabels": { "app": "client" } } ] } ] } ]
        """;

    private static string Sir(string identifier) => IPAddress.Parse("2001:db8:5151::" + identifier).ToString();

    /// <summary>
    /// ADD: the spec's result (host and container interfaces, the SIR /128 on interface 1 with gateway fe80::1, the
    /// default route), the interface, address and route in the container, the endpoint in xdpnet with its labels.
    /// CHECK passes, and fails once the address is gone. DEL removes veth, allocation and endpoint, and a second DEL
    /// (or one without a namespace) still succeeds.
    /// </summary>
    [RootFact]
    public void AddCheckDelOfOneContainer()
    {
        using var host = new CniHost(WebFromClient);
        var c = host.NewContainer();
        var add = host.Add(c, "ctr-one", "K8S_POD_NAME=one;LABELS=app=web,tier=front");
        Assert.True(add.ExitCode == 0, add + host.Why);

        string hostSide;
        using (var result = add.Json)
        {
            var root = result.RootElement;
            Assert.Equal("1.0.0", root.GetProperty("cniVersion").GetString());
            var interfaces = root.GetProperty("interfaces");
            hostSide = interfaces[0].GetProperty("name").GetString()!;
            Assert.StartsWith("xc", hostSide, StringComparison.Ordinal);
            Assert.False(interfaces[0].TryGetProperty("sandbox", out _));
            Assert.Equal("eth0", interfaces[1].GetProperty("name").GetString());
            Assert.Equal(CniHost.NetNsPath(c), interfaces[1].GetProperty("sandbox").GetString());
            var ip = root.GetProperty("ips")[0];
            Assert.Equal("2001:db8:5151:0:1::100/128", ip.GetProperty("address").GetString());
            Assert.Equal("fe80::1", ip.GetProperty("gateway").GetString());
            Assert.Equal(1, ip.GetProperty("interface").GetInt32());
            Assert.Equal("::/0", root.GetProperty("routes")[0].GetProperty("dst").GetString());

            var link = c.ExecChecked("ip", "-j", "addr", "show", "dev", "eth0").StdOut;
            Assert.Contains(interfaces[1].GetProperty("mac").GetString()!, link, StringComparison.Ordinal);
            Assert.Contains("\"local\":\"2001:db8:5151:0:1::100\",\"prefixlen\":128", link, StringComparison.Ordinal);
            Assert.Contains("via fe80::1 dev eth0", c.ExecChecked("ip", "-6", "route", "show", "default").StdOut, StringComparison.Ordinal);
        }

        using (var answer = host.Request("endpoint get " + JsonSerializer.Serialize(new { name = hostSide })))
        {
            var endpoint = answer.RootElement.GetProperty("endpoint");
            Assert.Equal(hostSide, endpoint.GetProperty("interface").GetString());
            var labels = endpoint.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToList();
            Assert.Contains("app=web", labels);
            Assert.Contains("tier=front", labels);
            Assert.Contains("network=ila-test", labels);
            Assert.Contains("io.kubernetes.pod.name=one", labels);
        }
        Assert.Equal([Sir("1:0:0:100")], host.Allocations());

        var check = host.Check(c, "ctr-one", add.StdOut);
        Assert.True(check.ExitCode == 0 && check.StdOut.Trim().Length == 0, check + host.Why);

        c.ExecChecked("ip", "-6", "addr", "del", "2001:db8:5151::1:0:0:100/128", "dev", "eth0");
        var broken = host.Check(c, "ctr-one", add.StdOut);
        Assert.True(broken.ExitCode != 0 && broken.ErrorCode == 103, broken.ToString());

        var del = host.Del(c, "ctr-one", add.StdOut);
        Assert.True(del.ExitCode == 0, del + host.Why);
        Assert.Empty(host.Plugin.HostVeths());
        Assert.Empty(host.Allocations());
        Assert.Equal(0, host.EndpointCount());
        Assert.DoesNotContain("eth0", c.ExecChecked("ip", "link", "show").StdOut, StringComparison.Ordinal);

        Assert.Equal(0, host.Del(c, "ctr-one", add.StdOut).ExitCode);
        Assert.Equal(0, host.Del(null, "ctr-one").ExitCode);
    }

    /// <summary>50 ADDs started at once (50 plugin processes): every one succeeds with its own address; 50 DELs leave nothing.</summary>
    [RootFact]
    public void FiftyConcurrentAddsGetFiftyDistinctAddresses()
    {
        using var host = new CniHost("[]");
        const int count = 50;
        var containers = Enumerable.Range(0, count).Select(_ => host.NewContainer()).ToArray();
        var results = new ConcurrentDictionary<int, CniInvocation>();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = count }, i => results[i] = host.Add(containers[i], $"ctr-{i}"));

        var addresses = new List<string>();
        foreach (var (i, r) in results)
        {
            Assert.True(r.ExitCode == 0, $"ADD {i}: {r}{host.Why}");
            using var doc = r.Json;
            addresses.Add(doc.RootElement.GetProperty("ips")[0].GetProperty("address").GetString()!);
        }
        Assert.Equal(count, addresses.Distinct().Count());
        Assert.Equal(count, host.Allocations().Count);
        Assert.Equal(count, host.Plugin.HostVeths().Count);
        Assert.Equal(count, host.EndpointCount());

        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = count }, i =>
        {
            var r = host.Del(containers[i], $"ctr-{i}");
            Assert.True(r.ExitCode == 0, $"DEL {i}: {r}");
        });
        Assert.Empty(host.Allocations());
        Assert.Empty(host.Plugin.HostVeths());
        Assert.Equal(0, host.EndpointCount());
    }

    /// <summary>
    /// | client 1:0:0:10x | -> fe80::1 -> xdpnet -> | web | : three containers attached by the plugin talk through xdpnet;
    /// the policy selecting app=web admits app=client and default-denies app=other, whose pings to web are dropped
    /// while web still reaches other.
    /// </summary>
    [RootFact]
    public void ContainersTalkThroughXdpNetAndALabelPolicyBlocksOne()
    {
        using var host = new CniHost(WebFromClient);
        var names = new[] { "web", "client", "other" };
        var ns = new Dictionary<string, NetNs>();
        var address = new Dictionary<string, string>();
        foreach (var name in names)
        {
            ns[name] = host.NewContainer();
            var r = host.Add(ns[name], "ctr-" + name, $"K8S_POD_NAME={name};LABELS=app={name}");
            Assert.True(r.ExitCode == 0, r + host.Why);
            using var doc = r.Json;
            address[name] = doc.RootElement.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];
        }

        Assert.True(CniHost.PingEventually(ns["client"], address["web"]), "client -> web" + host.Why);
        Assert.True(CniHost.PingEventually(ns["web"], address["other"]), "web -> other" + host.Why);
        Assert.True(CniHost.PingEventually(ns["other"], address["client"]), "other -> client" + host.Why);
        Assert.False(CniHost.PingEventually(ns["other"], address["web"], attempts: 3), "other -> web passed the policy" + host.Why);

        foreach (var name in names) Assert.Equal(0, host.Del(ns[name], "ctr-" + name).ExitCode);
        Assert.Equal(0, host.EndpointCount());
    }
}
