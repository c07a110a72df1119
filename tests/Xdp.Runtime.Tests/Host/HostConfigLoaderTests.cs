using XdpNet.Configuration;

namespace Xdp.Runtime.Tests.Host;

public class HostConfigLoaderTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];
    private static readonly ValidationLimits Limits = new(ProcessorCount: 2, PageSize: 4096);

    private const string Minimal = """
        {
          "Node": { "Name": "n1" },
          "Interfaces": [ { "Name": "dut0", "Queues": [ 1 ] } ],
          "Umem": { "Frames": 8192 },
          "Routes": [ { "Prefix": "198.18.2.0/24", "Interface": "dut0", "NextHopMac": "02:00:00:00:02:02" } ]
        }
        """;

    [Theory]
    [InlineData("router.json")]
    [InlineData("router-replay.json")]
    public void ExamplesValidate(string name)
    {
        var result = HostConfigLoader.LoadAndValidate(RepoPaths.Example(name), environment: NoEnvironment);
        Assert.Empty(result.Errors);
        Assert.NotNull(result.Config);
        Assert.Equal(2, result.Config.Interfaces.Count);
        Assert.Equal(4, result.Config.Routes.Count);
    }

    [Fact]
    public void BindsEveryValueAndListsReplaceDefaults()
    {
        using var dir = new TempDir();
        var result = HostConfigLoader.Load(dir.Write("h.json", Minimal), environment: NoEnvironment);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        var config = result.Config!;
        Assert.Equal("n1", config.Node.Name);
        Assert.Null(config.Node.Cpu);
        // A list in the file replaces the default [0] rather than being appended to it.
        Assert.Equal([1], config.Interfaces[0].Queues);
        Assert.Equal(8192, config.Umem.Frames);
        Assert.Equal(4096, config.Umem.FrameSize);
        Assert.Equal("02:00:00:00:02:02", config.Routes[0].NextHopMac);
    }

    [Fact]
    public void EnvironmentOverridesFileAndCommandLineOverridesEnvironment()
    {
        using var dir = new TempDir();
        var path = dir.Write("h.json", Minimal);
        var environment = new Dictionary<string, string?>
        {
            ["XDPNET_Node__Cpu"] = "1",
            ["XDPNET_Umem__Frames"] = "4096",
            ["OTHER_Node__Name"] = "ignored",
        };

        var result = HostConfigLoader.Load(path, ["--Umem:Frames=16384", "--Node:Name", "n2"], environment);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal(1, result.Config!.Node.Cpu);
        Assert.Equal(16384, result.Config.Umem.Frames);
        Assert.Equal("n2", result.Config.Node.Name);
    }

    [Fact]
    public void ProcessEnvironmentIsReadWhenNoneIsGiven()
    {
        using var dir = new TempDir();
        var path = dir.Write("h.json", Minimal);
        // A variable name unique to this test, so parallel tests loading configurations are unaffected.
        var name = "XDPNET_Interfaces__0__Mtu";
        var before = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, "1400");
        try
        {
            var result = HostConfigLoader.Load(path);
            Assert.True(result.Succeeded, string.Join("; ", result.Errors));
            Assert.Equal(1400, result.Config!.Interfaces[0].Mtu);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, before);
        }
    }

    [Fact]
    public void OverrideCanMakeTheConfigurationInvalid()
    {
        using var dir = new TempDir();
        var result = HostConfigLoader.LoadAndValidate(dir.Write("h.json", Minimal), ["--Node:Cpu=7"], NoEnvironment, Limits);
        Assert.Null(result.Config);
        Assert.Equal("Node:Cpu", Assert.Single(result.Errors).Key);
    }

    [Fact]
    public void MissingFileIsAFileError()
    {
        var result = HostConfigLoader.Load("/nonexistent/xdpnet/host.json", environment: NoEnvironment);
        var error = Assert.Single(result.Errors);
        Assert.Equal(ConfigError.FileKey, error.Key);
        Assert.Contains("not found", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedJsonNamesLineAndPosition()
    {
        using var dir = new TempDir();
        var path = dir.Write("bad.json", "{\n  \"Node\": { \"Name\": \"n1\" },\n  \"Interfaces\": [ { \"Name\": \"dut0\" } ,, ]\n}\n");

        var error = Assert.Single(HostConfigLoader.Load(path, environment: NoEnvironment).Errors);

        Assert.Equal(ConfigError.FileKey, error.Key);
        Assert.Contains("line 3", error.Problem, StringComparison.Ordinal);
        Assert.Contains("position", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Nodes": { "Name": "x" } }""", "Nodes")]
    [InlineData("""{ "Node": { "Name": "x", "Core": 1 } }""", "Node:Core")]
    [InlineData("""{ "Interfaces": [ { "Name": "a" }, { "Name": "b", "Queue": 1 } ] }""", "Interfaces:1:Queue")]
    [InlineData("""{ "Interfaces": [ { "Name": "a", "Steering": { "Mode": "rules", "Ports": [ 1 ] } } ] }""", "Interfaces:0:Steering:Ports")]
    [InlineData("""{ "Routes": [ { "Prefix": "198.18.2.0/24", "Interface": "a", "Via": "198.18.2.1" } ] }""", "Routes:0:Via")]
    [InlineData("""{ "Node": { "Name": { "First": "x" } } }""", "Node:Name")]
    [InlineData("""{ "Interfaces": { "Name": "a" } }""", "Interfaces:Name")]
    public void UnknownOrMisshapedKeyIsNamed(string json, string key)
    {
        using var dir = new TempDir();
        var result = HostConfigLoader.Load(dir.Write("h.json", json), environment: NoEnvironment);
        Assert.Null(result.Config);
        Assert.Equal(key, Assert.Single(result.Errors).Key);
    }

    [Fact]
    public void UnknownKeyFromCommandLineIsNamed()
    {
        using var dir = new TempDir();
        var result = HostConfigLoader.Load(dir.Write("h.json", Minimal), ["--Umem:FrameSzie=2048"], NoEnvironment);
        Assert.Equal("Umem:FrameSzie", Assert.Single(result.Errors).Key);
    }

    [Theory]
    [InlineData("""{ "Node": { "Cpu": "one" } }""", "Node:Cpu")]
    [InlineData("""{ "Interfaces": [ { "Name": "a", "Queues": [ "x" ] } ] }""", "Interfaces:0:Queues:0")]
    [InlineData("""{ "BusyPoll": { "Enabled": "maybe" } }""", "BusyPoll:Enabled")]
    public void UnconvertibleValueIsNamed(string json, string key)
    {
        using var dir = new TempDir();
        var result = HostConfigLoader.Load(dir.Write("h.json", json), environment: NoEnvironment);
        Assert.Null(result.Config);
        Assert.Equal(key, Assert.Single(result.Errors).Key);
    }
}
