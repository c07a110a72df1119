using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Cni;

/// <summary>
/// Containers on two hosts, attached by xdpnet-cni (driven directly) to one VXLAN segment, talk across hosts
/// (<see cref="CniVxlanPair"/>): the plugin allocates from each host's slice of the subnet and registers the veth with
/// the VNI, so it joins the segment live.
/// </summary>
[Collection("netns")]
public sealed class CniVxlanTests
{
    [RootFact]
    public void ContainersOnTwoHostsTalkAcrossTheOverlay()
    {
        using var pair = new CniVxlanPair();
        var a1 = pair.Ns("cnivx-a1");
        var b1 = pair.Ns("cnivx-b1");
        var addA = new CniPluginRunner(pair.A).Invoke("ADD", pair.NetworkConfig('a'), "ctr-a1", "/run/netns/" + a1.Name);
        var addB = new CniPluginRunner(pair.B).Invoke("ADD", pair.NetworkConfig('b'), "ctr-b1", "/run/netns/" + b1.Name);
        Assert.True(addA.ExitCode == 0, addA + pair.Why);
        Assert.True(addB.ExitCode == 0, addB + pair.Why);
        using (var doc = addB.Json)
        {
            Assert.Equal("198.18.20.100/24", doc.RootElement.GetProperty("ips")[0].GetProperty("address").GetString());
            Assert.Equal(0, doc.RootElement.GetProperty("routes").GetArrayLength()); // no gateway configured: the segment only
        }
        Assert.Contains("mtu 1450", a1.ExecChecked("ip", "link", "show", "dev", "eth0").StdOut, StringComparison.Ordinal);

        var ok = false;
        for (var i = 0; i < 10 && !ok; i++) ok = a1.Exec(TimeSpan.FromSeconds(10), "ping", "-c", "1", "-W", "1", "198.18.20.100").Succeeded;
        Assert.True(ok, "a1 -> b1 across the overlay" + pair.Why);
        Assert.True(b1.Exec(TimeSpan.FromSeconds(10), "ping", "-c", "3", "-i", "0.2", "-W", "1", "198.18.20.10").Succeeded, "b1 -> a1" + pair.Why);

        Assert.Equal(0, new CniPluginRunner(pair.A).Invoke("DEL", pair.NetworkConfig('a'), "ctr-a1", "/run/netns/" + a1.Name).ExitCode);
        Assert.Equal(0, new CniPluginRunner(pair.B).Invoke("DEL", pair.NetworkConfig('b'), "ctr-b1", "/run/netns/" + b1.Name).ExitCode);
        Assert.Empty(new CniPluginRunner(pair.A).HostVeths());
        Assert.Empty(new CniPluginRunner(pair.B).HostVeths());
    }
}
