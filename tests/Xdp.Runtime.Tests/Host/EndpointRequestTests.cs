using XdpNet.Configuration;
using XdpNet.Endpoints;

namespace Xdp.Runtime.Tests.Host;

/// <summary>The endpoint API's request bodies: normalisation, and each refusal naming its field.</summary>
public class EndpointRequestTests
{
    private const string Web = """
        {"name":"web-1","interface":"xn1a2b3c","mac":"02:AA:00:00:00:05",
         "addresses":["198.18.20.5","2001:db8:5151::1:0:0:5/128"],"labels":["app=web","k8s:io.kubernetes.pod.namespace=default"],"vni":42}
        """;

    [Fact]
    public void AValidAddIsNormalised()
    {
        var e = EndpointRequest.ParseAdd(Web, out var error);
        Assert.NotNull(e);
        Assert.Equal("", error);
        Assert.Equal("web-1", e.Name);
        Assert.Equal("xn1a2b3c", e.Interface);
        Assert.Equal("02:aa:00:00:00:05", e.Mac);
        Assert.Equal(["198.18.20.5/32", "2001:db8:5151:0:1::5/128"], e.Addresses);
        Assert.Equal(["app=web", "k8s:io.kubernetes.pod.namespace=default"], e.Labels);
        Assert.Equal(42, e.Vni);
    }

    [Theory]
    [InlineData("{", "request:")]
    [InlineData("[1]", "request:")]
    [InlineData("""{"name":"a","interface":"x","mac":"02:00:00:00:00:01","addresses":["198.18.0.1"],"extra":1}""", "extra:")]
    [InlineData("""{"interface":"x","mac":"02:00:00:00:00:01","addresses":["198.18.0.1"]}""", "name:")]
    [InlineData("""{"name":"a b","interface":"x","mac":"02:00:00:00:00:01","addresses":["198.18.0.1"]}""", "name:")]
    [InlineData("""{"name":"a","interface":"much-too-long-name","mac":"02:00:00:00:00:01","addresses":["198.18.0.1"]}""", "interface:")]
    [InlineData("""{"name":"a","interface":"x/y","mac":"02:00:00:00:00:01","addresses":["198.18.0.1"]}""", "interface:")]
    [InlineData("""{"name":"a","interface":"x","mac":"01:00:5e:00:00:01","addresses":["198.18.0.1"]}""", "mac:")]
    [InlineData("""{"name":"a","interface":"x","mac":"zz","addresses":["198.18.0.1"]}""", "mac:")]
    [InlineData("""{"name":"a","interface":"x","mac":"02:00:00:00:00:01","addresses":[]}""", "addresses:")]
    [InlineData("""{"name":"a","interface":"x","mac":"02:00:00:00:00:01","addresses":["198.18.0.0/24"]}""", "addresses[0]:")]
    [InlineData("""{"name":"a","interface":"x","mac":"02:00:00:00:00:01","addresses":["198.18.0.1","nope"]}""", "addresses[1]:")]
    [InlineData("""{"name":"a","interface":"x","mac":"02:00:00:00:00:01","addresses":["198.18.0.1","198.18.0.1/32"]}""", "addresses[1]:")]
    [InlineData("""{"name":"a","interface":"x","mac":"02:00:00:00:00:01","addresses":["fe80::1"]}""", "addresses[0]:")]
    [InlineData("""{"name":"a","interface":"x","mac":"02:00:00:00:00:01","addresses":[5]}""", "addresses[0]:")]
    [InlineData("""{"name":"a","interface":"x","mac":"02:00:00:00:00:01","addresses":["198.18.0.1"],"labels":["novalue"]}""", "labels[0]:")]
    [InlineData("""{"name":"a","interface":"x","mac":"02:00:00:00:00:01","addresses":["198.18.0.1"],"vni":16777216}""", "vni:")]
    [InlineData("""{"name":"a","interface":"x","mac":"02:00:00:00:00:01","addresses":["198.18.0.1"],"vni":"42"}""", "vni:")]
    public void EachRefusalNamesItsField(string json, string field)
    {
        Assert.Null(EndpointRequest.ParseAdd(json, out var error));
        Assert.StartsWith(field, error, StringComparison.Ordinal);
    }

    [Fact]
    public void NameRequestsTakeANameOnly()
    {
        Assert.Equal("web-1", EndpointRequest.ParseName("""{"name":"web-1"}""", out _));
        Assert.Null(EndpointRequest.ParseName("""{"name":"web-1","x":1}""", out var error));
        Assert.StartsWith("x:", error, StringComparison.Ordinal);
        Assert.Null(EndpointRequest.ParseName("{}", out error));
        Assert.StartsWith("name:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameEndpointIsRecognisedWhateverTheOrderOfItsLists()
    {
        var a = EndpointRequest.ParseAdd(Web, out _)!;
        var b = EndpointRequest.ParseAdd(Web.Replace("""["app=web","k8s:io.kubernetes.pod.namespace=default"]""", """["k8s:io.kubernetes.pod.namespace=default","app=web"]""", StringComparison.Ordinal), out _)!;
        Assert.True(a.SameAs(b));
        b.Mac = "02:aa:00:00:00:06";
        Assert.False(a.SameAs(b));
    }

    [Fact]
    public void TheStateFileRoundTripsAndSkipsBadEntries()
    {
        var directory = Directory.CreateTempSubdirectory("xdpnet-state-").FullName;
        try
        {
            var store = new EndpointStore(Path.Combine(directory, "node"));
            store.Set(EndpointRequest.ParseAdd(Web, out _)!);
            store.Save();
            Assert.False(File.Exists(store.FilePath + ".tmp"));
            var problems = new List<string>();
            var loaded = EndpointStore.Load(store.Directory, problems);
            Assert.Empty(problems);
            Assert.True(loaded.Get("web-1")!.SameAs(store.Get("web-1")!));

            File.WriteAllText(store.FilePath, """{"endpoints":[{"name":"ok","interface":"x","mac":"02:00:00:00:00:01","addresses":["198.18.0.1/32"]},{"name":"bad","interface":"x","mac":"02:00:00:00:00:01","addresses":["198.18.0.0/16"]}]}""");
            loaded = EndpointStore.Load(store.Directory, problems);
            Assert.NotNull(loaded.Get("ok"));
            Assert.Null(loaded.Get("bad"));
            Assert.Contains(problems, p => p.Contains("'bad'", StringComparison.Ordinal) && p.Contains("addresses[0]", StringComparison.Ordinal));

            File.WriteAllText(store.FilePath, "{ not json");
            problems.Clear();
            Assert.Empty(EndpointStore.Load(store.Directory, problems).Endpoints);
            Assert.Single(problems);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ARoutedEndpointBringsItsInterfaceEndpointAndHostRoutesAndASegmentMemberNoRoutes()
    {
        var config = new HostConfig
        {
            Interfaces = [new InterfaceConfig { Name = "eth0", Role = "uplink" }],
            Vxlan = new VxlanConfig { Vtep = "198.18.10.1", Segments = [new VxlanSegmentConfig { Vni = 42 }] },
        };
        var routed = EndpointRequest.ParseAdd(Web.Replace(""","vni":42""", "", StringComparison.Ordinal), out _)!;
        var member = EndpointRequest.ParseAdd(Web.Replace("web-1", "web-2", StringComparison.Ordinal).Replace("xn1a2b3c", "xn2", StringComparison.Ordinal)
            .Replace("198.18.20.5", "198.18.20.6", StringComparison.Ordinal).Replace("::1:0:0:5", "::1:0:0:6", StringComparison.Ordinal), out _)!;
        EndpointMerge.Merge(config, [routed, member]);

        Assert.Equal(["eth0", "xn1a2b3c", "xn2"], config.Interfaces.Select(i => i.Name));
        Assert.Equal("local", config.Interfaces[1].Role);
        Assert.Equal(["198.18.20.5/32", "2001:db8:5151:0:1::5/128"], config.Routes.Select(r => r.Prefix));
        Assert.All(config.Routes, r => Assert.Equal(("xn1a2b3c", "02:aa:00:00:00:05"), (r.Interface, r.NextHopMac)));
        Assert.Equal(["xn2"], config.Vxlan.Segments[0].Interfaces);
        Assert.Equal(["198.18.20.5", "2001:db8:5151:0:1::5"], config.Endpoints[0].Addresses);
        Assert.Equal("xn2", config.Endpoints[1].Interface);
    }

    [Fact]
    public void PublishedAreTheFilesLocalEndpointsTheAddedOnesAndTheIdentifiersOfAddedIlaAddresses()
    {
        var file = new HostConfig
        {
            Node = new NodeConfig { Name = "node-a" },
            Ila = new IlaConfig { Domains = [new IlaDomainConfig { SirPrefix = "2001:db8:5151::/64", Locator = "2001:db8:a::/64" }] },
            Endpoints =
            [
                new EndpointConfig { Name = "file-local", Interface = "veth1", Addresses = ["198.18.1.2"] },
                new EndpointConfig { Name = "remote", Addresses = ["198.18.9.2"] },
            ],
        };
        var routed = EndpointRequest.ParseAdd(Web.Replace(""","vni":42""", "", StringComparison.Ordinal), out _)!;
        var member = EndpointRequest.ParseAdd(Web.Replace("web-1", "web-2", StringComparison.Ordinal).Replace("::1:0:0:5", "::1:0:0:6", StringComparison.Ordinal), out _)!;
        var (endpoints, mappings) = EndpointPublication.For(file, [routed, member]);
        Assert.Equal(["file-local", "web-1", "web-2"], endpoints.Select(e => e.Name));
        Assert.All(endpoints, e => Assert.Equal("node-a", e.Host));
        Assert.Equal(["198.18.20.5", "2001:db8:5151:0:1::5"], endpoints[1].Addresses);
        // Only the routed endpoint's SIR address is an identifier of this host (a segment member is switched, not routed).
        var m = Assert.Single(mappings);
        Assert.Equal(("2001:db8:5151::", "1:0:0:5", "2001:db8:a::"), (m.SirPrefix, m.Identifier, m.Locator));
    }
}
