using Xdp.Runtime.Tests.Host;
using Xdp.Runtime.Wire;
using Xdp.Vxlan;
using XdpNet.Configuration;
using XdpNet.Pipeline;

namespace Xdp.Runtime.Tests.Vxlan;

/// <summary>The Vxlan section: every bad value refused under its own key, a valid one accepted and compiled into tables.</summary>
public class VxlanConfigTests
{
    private static readonly ValidationLimits Limits = new(ProcessorCount: 2, PageSize: 4096);

    /// <summary>A valid VTEP host: uplink, three local members in two segments. Each case breaks one thing.</summary>
    private static HostConfig Valid() => new()
    {
        Node = new NodeConfig { Name = "vtep" },
        Interfaces =
        [
            new InterfaceConfig { Name = "vx-up", Role = "uplink", Mac = "02:00:00:00:0a:01" },
            new InterfaceConfig { Name = "vx-c1", Role = "local", Mac = "02:00:00:00:0a:c1" },
            new InterfaceConfig { Name = "vx-c2", Role = "local", Mac = "02:00:00:00:0a:c2" },
            new InterfaceConfig { Name = "vx-c3", Role = "local", Mac = "02:00:00:00:0a:c3" },
        ],
        Umem = new UmemConfig { FrameSize = 4096, Frames = 32768, Headroom = 256 },
        Routes = [new RouteConfig { Prefix = "198.18.0.2/32", Interface = "vx-up", NextHopMac = "02:00:00:00:0b:01" }],
        Vxlan = new VxlanConfig
        {
            Vtep = "198.18.0.1",
            Segments =
            [
                new VxlanSegmentConfig
                {
                    Vni = 42,
                    Interfaces = ["vx-c1", "vx-c2"],
                    Flood = ["198.18.0.2", "198.18.0.3"],
                    Fdb = [new VxlanFdbConfig { Mac = "02:00:00:00:d1:01", Vtep = "198.18.0.2" }],
                    GroupPolicy = new Dictionary<string, int> { ["vx-c1"] = 100 },
                },
                new VxlanSegmentConfig { Vni = 43, Interfaces = ["vx-c3"], Flood = ["198.18.0.2"], Learning = false },
            ],
        },
    };

    private static readonly Dictionary<string, (Action<HostConfig> Break, string Key)> Cases = new()
    {
        ["vtep missing"] = (c => c.Vxlan.Vtep = null, "Vxlan:Vtep"),
        ["vtep garbage"] = (c => c.Vxlan.Vtep = "198.18.0.300", "Vxlan:Vtep"),
        ["vtep link-local"] = (c => { c.Vxlan.Vtep = "fe80::1"; MakeIpv6(c); }, "Vxlan:Vtep"),
        ["vtep unspecified"] = (c => c.Vxlan.Vtep = "0.0.0.0", "Vxlan:Vtep"),
        ["vtep multicast"] = (c => c.Vxlan.Vtep = "239.1.1.1", "Vxlan:Vtep"),
        ["vtep broadcast"] = (c => c.Vxlan.Vtep = "255.255.255.255", "Vxlan:Vtep"),
        ["vtep ipv6 unspecified"] = (c => { c.Vxlan.Vtep = "::"; MakeIpv6(c); }, "Vxlan:Vtep"),
        ["vtep ipv6 multicast"] = (c => { c.Vxlan.Vtep = "ff0e::1"; MakeIpv6(c); }, "Vxlan:Vtep"),
        ["port zero"] = (c => c.Vxlan.Port = 0, "Vxlan:Port"),
        ["port too big"] = (c => c.Vxlan.Port = 65536, "Vxlan:Port"),
        ["source port min zero"] = (c => c.Vxlan.SourcePortMin = 0, "Vxlan:SourcePortMin"),
        ["source port range reversed"] = (c => { c.Vxlan.SourcePortMin = 50000; c.Vxlan.SourcePortMax = 40000; }, "Vxlan:SourcePortMax"),
        ["ttl zero"] = (c => c.Vxlan.Ttl = 0, "Vxlan:Ttl"),
        ["ttl too big"] = (c => c.Vxlan.Ttl = 256, "Vxlan:Ttl"),
        ["ageing zero"] = (c => c.Vxlan.AgeingSeconds = 0, "Vxlan:AgeingSeconds"),
        ["max learned zero"] = (c => c.Vxlan.MaxLearned = 0, "Vxlan:MaxLearned"),
        ["vni negative"] = (c => c.Vxlan.Segments[0].Vni = -1, "Vxlan:Segments:0:Vni"),
        ["vni beyond 24 bits"] = (c => c.Vxlan.Segments[1].Vni = 0x100_0000, "Vxlan:Segments:1:Vni"),
        ["vni duplicate"] = (c => c.Vxlan.Segments[1].Vni = 42, "Vxlan:Segments:1:Vni"),
        ["member unknown"] = (c => c.Vxlan.Segments[1].Interfaces = ["vx-c9"], "Vxlan:Segments:1:Interfaces:0"),
        ["member is the uplink"] = (c => c.Vxlan.Segments[1].Interfaces = ["vx-up"], "Vxlan:Segments:1:Interfaces:0"),
        ["member in two segments"] = (c => c.Vxlan.Segments[1].Interfaces = ["vx-c3", "vx-c2"], "Vxlan:Segments:1:Interfaces:1"),
        ["flood vtep garbage"] = (c => c.Vxlan.Segments[0].Flood[1] = "vtep-b", "Vxlan:Segments:0:Flood:1"),
        ["flood vtep other family"] = (c => c.Vxlan.Segments[0].Flood[1] = "2001:db8::3", "Vxlan:Segments:0:Flood:1"),
        ["flood vtep unspecified"] = (c => c.Vxlan.Segments[1].Flood[0] = "0.0.0.0", "Vxlan:Segments:1:Flood:0"),
        ["flood vtep is our own"] = (c => c.Vxlan.Segments[1].Flood[0] = "198.18.0.1", "Vxlan:Segments:1:Flood:0"),
        ["fdb vtep is our own"] = (c => c.Vxlan.Segments[0].Fdb[0].Vtep = "198.18.0.1", "Vxlan:Segments:0:Fdb:0:Vtep"),
        ["flood vtep multicast"] = (c => c.Vxlan.Segments[1].Flood[0] = "239.1.1.1", "Vxlan:Segments:1:Flood:0"),
        ["fdb mac malformed"] = (c => c.Vxlan.Segments[0].Fdb[0].Mac = "02:00:00:00:d1", "Vxlan:Segments:0:Fdb:0:Mac"),
        ["fdb mac broadcast"] = (c => c.Vxlan.Segments[0].Fdb[0].Mac = "ff:ff:ff:ff:ff:ff", "Vxlan:Segments:0:Fdb:0:Mac"),
        ["fdb mac duplicate"] = (c => c.Vxlan.Segments[0].Fdb.Add(new VxlanFdbConfig { Mac = "02:00:00:00:D1:01", Vtep = "198.18.0.3" }), "Vxlan:Segments:0:Fdb:1:Mac"),
        ["fdb vtep other family"] = (c => c.Vxlan.Segments[0].Fdb[0].Vtep = "2001:db8::2", "Vxlan:Segments:0:Fdb:0:Vtep"),
        ["group policy not a member"] = (c => c.Vxlan.Segments[0].GroupPolicy["vx-c3"] = 5, "Vxlan:Segments:0:GroupPolicy:vx-c3"),
        ["group policy too big"] = (c => c.Vxlan.Segments[0].GroupPolicy["vx-c1"] = 65536, "Vxlan:Segments:0:GroupPolicy:vx-c1"),
        ["group policy negative"] = (c => c.Vxlan.Segments[0].GroupPolicy["vx-c1"] = -1, "Vxlan:Segments:0:GroupPolicy:vx-c1"),
        ["no uplink"] = (c => c.Interfaces[0].Role = "local", "Vxlan:Segments"),
        ["two uplinks"] = (c => c.Interfaces.Add(new InterfaceConfig { Name = "vx-up2", Role = "uplink", Mac = "02:00:00:00:0a:02" }), "Vxlan:Segments"),
    };

    private static void MakeIpv6(HostConfig c)
    {
        c.Vxlan.Segments[0].Flood = ["2001:db8::2"];
        c.Vxlan.Segments[0].Fdb[0].Vtep = "2001:db8::2";
        c.Vxlan.Segments[1].Flood = ["2001:db8::2"];
    }

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys) data.Add(name);
        return data;
    }

    [Fact]
    public void AValidSectionHasNoErrors()
    {
        Assert.Empty(HostConfigValidator.Validate(Valid(), Limits));
    }

    /// <summary>A segment the file leaves empty: containers join it live through the endpoint API (xdpnet-cni).</summary>
    [Fact]
    public void ASegmentWithoutMembersHasNoErrors()
    {
        var config = Valid();
        config.Vxlan.Segments[1].Interfaces = [];
        Assert.Empty(HostConfigValidator.Validate(config, Limits));
    }

    [Fact]
    public void AValidIpv6UnderlayHasNoErrors()
    {
        var config = Valid();
        config.Vxlan.Vtep = "2001:db8::1";
        MakeIpv6(config);
        Assert.Empty(HostConfigValidator.Validate(config, Limits));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ABadValueIsRefusedUnderItsKey(string caseName)
    {
        var (breakIt, key) = Cases[caseName];
        var config = Valid();
        breakIt(config);
        var errors = HostConfigValidator.Validate(config, Limits);
        var error = Assert.Single(errors);
        Assert.Equal(key, error.Key);
        Assert.False(string.IsNullOrWhiteSpace(error.Problem));
    }

    private const string Json = """
        {
          "Node": { "Name": "vtep" },
          "Interfaces": [
            { "Name": "vx-up", "Role": "uplink", "Mac": "02:00:00:00:0a:01" },
            { "Name": "vx-c1", "Role": "local", "Mac": "02:00:00:00:0a:c1" },
            { "Name": "vx-c2", "Role": "local", "Mac": "02:00:00:00:0a:c2" }
          ],
          "Umem": { "Frames": 32768 },
          "Vxlan": {
            "Vtep": "198.18.0.1", "Port": 4789, "SourcePortMin": 49152, "SourcePortMax": 49407, "Ipv4UdpChecksum": true,
            "Ttl": 32, "AgeingSeconds": 60, "MaxLearned": 1024, "Gbp": true,
            "Segments": [
              { "Vni": 42, "Interfaces": [ "vx-c1", "vx-c2" ], "Learning": false, "Flood": [ "198.18.0.2" ],
                "Fdb": [ { "Mac": "02:00:00:00:d1:01", "Vtep": "198.18.0.2" } ],
                "GroupPolicy": { "vx-c1": 100, "vx-c2": 65535 } }
            ]
          }
        }
        """;

    // GroupPolicy is a dictionary keyed by member names: the unknown-key check must not take them for settings.
    [Fact]
    public void AFileWithGroupPolicyMemberNamesLoadsWithoutUnknownKeys()
    {
        using var dir = new TempDir();
        var result = HostConfigLoader.LoadAndValidate(dir.Write("vtep.json", Json), [], new Dictionary<string, string?>(), Limits);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        var vxlan = result.Config!.Vxlan;
        Assert.Equal(100, vxlan.Segments[0].GroupPolicy["vx-c1"]);
        Assert.Equal(65535, vxlan.Segments[0].GroupPolicy["vx-c2"]);
        Assert.False(vxlan.Segments[0].Learning);
    }

    [Fact]
    public void AMisspelledVxlanKeyIsRefusedWithItsPath()
    {
        using var dir = new TempDir();
        var result = HostConfigLoader.LoadAndValidate(dir.Write("vtep.json", Json.Replace("\"Flood\"", "\"Flod\"", StringComparison.Ordinal)),
            [], new Dictionary<string, string?>(), Limits);
        var error = Assert.Single(result.Errors);
        Assert.Equal("Vxlan:Segments:0:Flod", error.Key);
    }

    [Fact]
    public void TheSectionCompilesIntoTables()
    {
        using var dir = new TempDir();
        var config = HostConfigLoader.LoadAndValidate(dir.Write("vtep.json", Json), [], new Dictionary<string, string?>(), Limits).Config!;
        var interfaces = new List<ResolvedInterface>
        {
            new(0, "vx-up", 10, MacAddress.Parse("02:00:00:00:0a:01"), 1500),
            new(1, "vx-c1", 11, MacAddress.Parse("02:00:00:00:0a:c1"), 1500),
            new(2, "vx-c2", 12, MacAddress.Parse("02:00:00:00:0a:c2"), 1500),
        };
        var tables = HostPipelineBuilder.BuildVxlan(config, HostPipelineBuilder.BuildForwarding(config, interfaces));

        Assert.Equal(new VxlanSettings(VtepAddress.Parse("198.18.0.1"), 4789, 49152, 49407, true, 32, 60_000, true, 0), tables.Settings);
        Assert.Equal(0, tables.SegmentOfVni(42));
        Assert.Equal(-1, tables.SegmentOfVni(43));
        Assert.Equal([-1, 0, 0], [tables.SegmentOf(0), tables.SegmentOf(1), tables.SegmentOf(2)]);
        Assert.Equal([-1, 100, 65535], [tables.GroupPolicyOf(0), tables.GroupPolicyOf(1), tables.GroupPolicyOf(2)]);
        Assert.True(tables.TryGetStatic(42, MacAddress.Parse("02:00:00:00:d1:01"), out var vtep));
        Assert.Equal(VtepAddress.Parse("198.18.0.2"), vtep);
        Assert.False(tables.Segments[0].Learning);
        Assert.Equal([VtepAddress.Parse("198.18.0.2")], tables.Segments[0].Flood);
        Assert.Equal([VtepAddress.Parse("198.18.0.2")], tables.ConfiguredVteps());
    }

    [Theory]
    [InlineData("vxlan-host-a.json")]
    [InlineData("vxlan-host-b.json")]
    public void TheExamplesValidate(string name)
    {
        var result = HostConfigLoader.LoadAndValidate(RepoPaths.Example(name), [], new Dictionary<string, string?>(), Limits);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.NotEmpty(result.Config!.Vxlan.Segments);
    }
}
