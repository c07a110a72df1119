using System.Text.Json;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;
using XdpNet.IntegrationTests.Vxlan;

namespace XdpNet.IntegrationTests.Endpoints;

/// <summary>
/// An endpoint added with a VNI joins that tenant segment live: a fifth container on the xdpnet host of
/// <see cref="VxlanTopology"/> (xdpnet VTEP A, kernel VTEP B, IPv4 underlay) reaches its segment's container on the
/// other host across the overlay, not the other segment's, and is cut off again when removed.
/// </summary>
[Collection("netns")]
public sealed class EndpointVxlanTests
{
    private const string C5V4 = "198.18.40.5", C5V6 = "2001:db8:40::5", C5Mac = "02:00:00:00:40:05";

    [RootFact]
    public void AnEndpointWithAVniBecomesAMemberOfThatSegmentLive()
    {
        using var t = VxlanTopology.Create(UnderlayFamily.Ipv4, VtepKind.XdpNet, VtepKind.Kernel);
        var suffix = UniqueName.Suffix(5);
        using var c5 = NetNs.Create("vx-c5");
        var hostSide = $"h5{suffix}";
        var inside = $"c5{suffix}";
        t.A.AddVeth(hostSide, c5, inside);
        c5.ExecChecked("ip", "link", "set", "dev", inside, "address", C5Mac);
        foreach (var (ns, dev) in new[] { (t.A, hostSide), (c5, inside) }) ns.ExecChecked("ip", "link", "set", "dev", dev, "mtu", t.OverlayMtu.ToString(System.Globalization.CultureInfo.InvariantCulture));
        c5.AddAddress(inside, C5V4 + "/24");
        c5.AddAddress(inside, C5V6 + "/64");
        var socket = t.StatsSocket('a');
        JsonDocument Request(string line) => JsonDocument.Parse(XdpNet.Stats.StatsClient.Request(socket, line, TimeSpan.FromSeconds(60)));
        string Why() => "\n" + t.Outputs;

        // | c5 198.18.40.5 | -> h5 -> xdpnet A (VNI 42: encapsulate) -> underlay -> kernel VTEP B -> | c2 198.18.40.2 |
        var body = JsonSerializer.Serialize(new { name = "c5", @interface = hostSide, mac = C5Mac, addresses = new[] { C5V4, C5V6 }, labels = new[] { "app=c5" }, vni = 42 });
        using (var added = Request("endpoint add " + body))
        {
            Assert.True(added.RootElement.GetProperty("ok").GetBoolean(), added.RootElement + Why());
            Assert.Equal(42, added.RootElement.GetProperty("endpoint").GetProperty("vni").GetInt32());
        }
        Assert.True(EndpointTopology.PingEventually(c5, t[2].Ipv4), "c5 -> c2 (same segment, other host)" + Why());
        Assert.True(EndpointTopology.PingEventually(c5, t[2].Ipv6), "c5 -> c2 over IPv6" + Why());
        Assert.True(EndpointTopology.PingEventually(c5, t[1].Ipv4), "c5 -> c1 (same segment, same host)" + Why());
        Assert.False(EndpointTopology.Ping(c5, t[4].Ipv4), "c5 reached c4 in VNI 43" + Why());

        using (var deleted = Request("""endpoint del {"name":"c5"}""")) Assert.True(deleted.RootElement.GetProperty("ok").GetBoolean(), deleted.RootElement + Why());
        Assert.False(t.A.ExecChecked("ip", "link", "show", "dev", hostSide).StdOut.Contains("prog/xdp", StringComparison.Ordinal), "still steered" + Why());
        Assert.False(EndpointTopology.Ping(c5, t[2].Ipv4), "c5 -> c2 after its removal" + Why());
        Assert.True(EndpointTopology.PingEventually(t[1].Ns, t[2].Ipv4), "c1 -> c2 after c5 went" + Why());
    }
}
