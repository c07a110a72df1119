using System.Net;
using System.Text;
using XdpNet.Cni.Configuration;
using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Tests;

public sealed class NetworkConfigTests
{
    internal const string Ila = """
        { "cniVersion": "1.0.0", "name": "ila-net", "type": "xdpnet-cni", "mode": "ila",
          "sirPrefix": "2001:db8:5151::/64", "identifierRange": "1:0:0:100-1:0:0:1ff",
          "socket": "/run/xdpnet/host-a.sock", "labels": ["tenant=blue", "app=default"] }
        """;

    internal const string Vxlan = """
        { "cniVersion": "1.0.0", "name": "seg42", "type": "xdpnet-cni", "mode": "vxlan",
          "vni": 42, "subnet": "198.18.20.0/24", "gateway": "198.18.20.1", "rangeStart": "198.18.20.10", "rangeEnd": "198.18.20.99" }
        """;

    private static NetworkConfig Parse(string json) => NetworkConfigParser.Parse(Encoding.UTF8.GetBytes(json));

    /// <summary>Replaces or adds top-level keys of <paramref name="json"/> (null removes the key).</summary>
    internal static string With(string json, params (string Key, string? Json)[] changes)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        foreach (var (key, value) in changes)
        {
            node.Remove(key);
            if (value is not null) node[key] = System.Text.Json.Nodes.JsonNode.Parse(value);
        }
        return node.ToJsonString();
    }

    [Fact]
    public void IlaNetworkGivesSirAddressesFromTheHostsIdentifierRangeWithTheLinkLocalGateway()
    {
        var c = Parse(Ila);
        Assert.Equal(NetworkMode.Ila, c.Mode);
        Assert.Equal("ila-net", c.Name);
        Assert.Equal("/run/xdpnet/host-a.sock", c.Socket);
        Assert.Equal(1500, c.Mtu);
        Assert.Equal(IPAddress.Parse("fe80::1"), c.Gateway);
        Assert.Equal(IPAddress.Parse("2001:db8:5151::1:0:0:100"), c.Pool.ToAddress(c.Pool.First));
        Assert.Equal(IPAddress.Parse("2001:db8:5151::1:0:0:1ff"), c.Pool.ToAddress(c.Pool.Last));
        Assert.Equal(128, c.Pool.PrefixLength);
        Assert.Equal("blue", c.DefaultLabels["tenant"]);
    }

    [Fact]
    public void VxlanNetworkAllocatesInsideItsRangeAndLeavesTheGatewayOut()
    {
        var c = Parse(Vxlan);
        Assert.Equal(NetworkMode.Vxlan, c.Mode);
        Assert.Equal(42, c.Vni);
        Assert.Equal(1450, c.Mtu); // the README's advice for an IPv4 underlay
        Assert.Equal(IPAddress.Parse("198.18.20.10"), c.Pool.ToAddress(c.Pool.First));
        Assert.Equal(IPAddress.Parse("198.18.20.99"), c.Pool.ToAddress(c.Pool.Last));
        Assert.Equal(24, c.Pool.PrefixLength);

        var whole = Parse(With(Vxlan, ("rangeStart", null), ("rangeEnd", null)));
        Assert.Equal(IPAddress.Parse("198.18.20.1"), whole.Pool.ToAddress(whole.Pool.First));
        Assert.Equal(IPAddress.Parse("198.18.20.254"), whole.Pool.ToAddress(whole.Pool.Last));
        Assert.False(whole.Pool.IsUsable(Ipam.AddressMath.ToValue(IPAddress.Parse("198.18.20.1"))));
    }

    [Fact]
    public void RuntimeLabelsComeFromArgsAndRuntimeConfig()
    {
        var c = Parse(With(Ila,
            ("args", """{ "cni": { "labels": [ { "key": "app", "value": "web" } ] } }"""),
            ("runtimeConfig", """{ "labels": { "tier": "front" } }""")));
        Assert.Equal("web", c.RuntimeLabels["app"]);
        Assert.Equal("front", c.RuntimeLabels["tier"]);
    }

    [Fact]
    public void LabelsMergeDefaultsThenCniArgsThenRuntime()
    {
        var c = Parse(With(Ila, ("runtimeConfig", """{ "labels": ["tier=front"] }""")));
        var args = CniArgs.Parse("IgnoreUnknown=1;K8S_POD_NAME=web-1;K8S_POD_NAMESPACE=shop;LABELS=app=web,tier=back");
        var labels = EndpointLabels.Merge(c, args);
        Assert.Equal("blue", labels["tenant"]);
        Assert.Equal("web", labels["app"]); // LABELS overrides the network's default
        Assert.Equal("front", labels["tier"]); // runtimeConfig overrides LABELS
        Assert.Equal("web-1", labels[EndpointLabels.PodNameLabel]);
        Assert.Equal("shop", labels[EndpointLabels.PodNamespaceLabel]);

        var bad = Assert.Throws<CniException>(() => EndpointLabels.Merge(c, CniArgs.Parse("LABELS=app")));
        Assert.Equal(CniErrorCode.InvalidEnvironment, bad.Code);

        // A pod name is a DNS subdomain (up to 253 characters), longer than a Kubernetes label value may be.
        var longName = new string('p', 200);
        Assert.Equal(longName, EndpointLabels.Merge(c, CniArgs.Parse("K8S_POD_NAME=" + longName))[EndpointLabels.PodNameLabel]);
        Assert.Throws<CniException>(() => EndpointLabels.Merge(c, CniArgs.Parse("K8S_POD_NAME=" + new string('p', 254))));
    }

    [Theory]
    [InlineData("""{"cniVersion":"0.4.0"}""", CniErrorCode.IncompatibleVersion, "cniVersion")]
    [InlineData("""{"cniVersion":null}""", CniErrorCode.InvalidConfig, "cniVersion")]
    [InlineData("""{"type":"bridge"}""", CniErrorCode.InvalidConfig, "type")]
    [InlineData("""{"name":"a/b"}""", CniErrorCode.InvalidConfig, "name")]
    [InlineData("""{"mode":"evpn"}""", CniErrorCode.InvalidConfig, "mode")]
    [InlineData("""{"bridge":"br0"}""", CniErrorCode.UnsupportedField, "bridge")]
    [InlineData("""{"ipam":{"type":"host-local"}}""", CniErrorCode.UnsupportedField, "ipam")]
    [InlineData("""{"vni":42}""", CniErrorCode.UnsupportedField, "vni")]
    [InlineData("""{"sirPrefix":"2001:db8:5151::/48"}""", CniErrorCode.InvalidConfig, "sirPrefix")]
    [InlineData("""{"sirPrefix":"198.18.0.0/16"}""", CniErrorCode.InvalidConfig, "sirPrefix")]
    [InlineData("""{"sirPrefix":"2001:db8:5151::5/64"}""", CniErrorCode.InvalidConfig, "sirPrefix")]
    [InlineData("""{"identifierRange":"1:0:0:200-1:0:0:100"}""", CniErrorCode.InvalidConfig, "identifierRange")]
    [InlineData("""{"identifierRange":"1:0:0:ffff-1:0:1:0"}""", CniErrorCode.InvalidConfig, "identifierRange")]
    [InlineData("""{"identifierRange":"1:0:100"}""", CniErrorCode.InvalidConfig, "identifierRange")]
    [InlineData("""{"socket":"run/x.sock"}""", CniErrorCode.InvalidConfig, "socket")]
    [InlineData("""{"mtu":1000}""", CniErrorCode.InvalidConfig, "mtu")]
    [InlineData("""{"mtu":"1500"}""", CniErrorCode.InvalidConfig, "mtu")]
    [InlineData("""{"labels":["app"]}""", CniErrorCode.InvalidConfig, "labels[0]")]
    [InlineData("""{"labels":["app=a b"]}""", CniErrorCode.InvalidConfig, "labels[0]")]
    [InlineData("""{"runtimeConfig":{"labels":{"app":3}}}""", CniErrorCode.InvalidConfig, "runtimeConfig.labels.app")]
    [InlineData("""{"args":{"cni":{"labels":[{"key":"app"}]}}}""", CniErrorCode.InvalidConfig, "args.cni.labels[0]")]
    [InlineData("""{"timeoutSeconds":0}""", CniErrorCode.InvalidConfig, "timeoutSeconds")]
    [InlineData("""{"prevResult":{"ips":[{"address":"banana"}]}}""", CniErrorCode.InvalidConfig, "prevResult.ips[0].address")]
    public void IlaRefusalsNameTheKeyAndTheProblem(string change, int code, string key) => AssertRefused(Ila, change, code, key);

    [Theory]
    [InlineData("""{"vni":0}""", CniErrorCode.InvalidConfig, "vni")]
    [InlineData("""{"vni":16777216}""", CniErrorCode.InvalidConfig, "vni")]
    [InlineData("""{"vni":null}""", CniErrorCode.InvalidConfig, "vni")]
    [InlineData("""{"subnet":"198.18.20.5/24"}""", CniErrorCode.InvalidConfig, "subnet")]
    [InlineData("""{"subnet":"198.18.20.0/31"}""", CniErrorCode.InvalidConfig, "subnet")]
    [InlineData("""{"gateway":"198.18.21.1"}""", CniErrorCode.InvalidConfig, "gateway")]
    [InlineData("""{"gateway":"2001:db8::1"}""", CniErrorCode.InvalidConfig, "gateway")]
    [InlineData("""{"rangeStart":"198.18.20.0"}""", CniErrorCode.InvalidConfig, "rangeStart")]
    [InlineData("""{"rangeEnd":"198.18.20.5"}""", CniErrorCode.InvalidConfig, "rangeEnd")]
    [InlineData("""{"sirPrefix":"2001:db8:5151::/64"}""", CniErrorCode.UnsupportedField, "sirPrefix")]
    public void VxlanRefusalsNameTheKeyAndTheProblem(string change, int code, string key) => AssertRefused(Vxlan, change, code, key);

    private static void AssertRefused(string baseline, string change, int code, string key)
    {
        var changes = new List<(string, string?)>();
        foreach (var p in System.Text.Json.Nodes.JsonNode.Parse(change)!.AsObject())
            changes.Add((p.Key, p.Value?.ToJsonString()));
        var e = Assert.Throws<CniException>(() => Parse(With(baseline, [.. changes])));
        Assert.Equal(code, e.Code);
        Assert.StartsWith(key + ":", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"cniVersion\":")]
    public void NotAJsonObjectIsADecodingFailure(string text)
    {
        var e = Assert.Throws<CniException>(() => Parse(text));
        Assert.Equal(CniErrorCode.DecodeFailure, e.Code);
    }
}
