using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Tests;

public sealed class CniEnvironmentTests
{
    private static Dictionary<string, string> Add() => new()
    {
        ["CNI_COMMAND"] = "ADD",
        ["CNI_CONTAINERID"] = "4f2c0d9e1a",
        ["CNI_NETNS"] = "/run/netns/c1",
        ["CNI_IFNAME"] = "eth0",
        ["CNI_PATH"] = "/usr/lib/cni",
    };

    [Fact]
    public void AddCarriesEveryParameter()
    {
        var env = CniEnvironment.Parse(Add());
        Assert.Equal(CniCommand.Add, env.Command);
        Assert.Equal("4f2c0d9e1a", env.ContainerId);
        Assert.Equal("/run/netns/c1", env.NetNs);
        Assert.Equal("eth0", env.IfName);
    }

    [Theory]
    [InlineData("CNI_COMMAND", null)]
    [InlineData("CNI_COMMAND", "ATTACH")]
    [InlineData("CNI_CONTAINERID", null)]
    [InlineData("CNI_CONTAINERID", "-starts-with-dash")]
    [InlineData("CNI_CONTAINERID", "has space")]
    [InlineData("CNI_IFNAME", null)]
    [InlineData("CNI_IFNAME", "a-name-too-long-x")]
    [InlineData("CNI_IFNAME", "eth/0")]
    [InlineData("CNI_IFNAME", "..")]
    [InlineData("CNI_NETNS", null)]
    [InlineData("CNI_NETNS", "relative/ns")]
    [InlineData("CNI_ARGS", "FOO=1")]
    [InlineData("CNI_ARGS", "novalue")]
    public void InvalidVariablesAreCode4NamingTheVariable(string variable, string? value)
    {
        var vars = Add();
        if (value is null) vars.Remove(variable);
        else vars[variable] = value;
        var e = Assert.Throws<CniException>(() => CniEnvironment.Parse(vars));
        Assert.Equal(CniErrorCode.InvalidEnvironment, e.Code);
        Assert.StartsWith(variable + ":", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DelNeedsNoNetworkNamespace()
    {
        var vars = Add();
        vars["CNI_COMMAND"] = "DEL";
        vars.Remove("CNI_NETNS");
        Assert.Equal("", CniEnvironment.Parse(vars).NetNs);
    }

    [Fact]
    public void VersionNeedsNothingElse()
    {
        var env = CniEnvironment.Parse(new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION" });
        Assert.Equal(CniCommand.Version, env.Command);
    }

    [Fact]
    public void CniArgsRefuseUnknownKeysUnlessIgnoreUnknown()
    {
        Assert.Throws<FormatException>(() => CniArgs.Parse("K8S_POD_NAME=web;FOO=1"));
        var args = CniArgs.Parse("IgnoreUnknown=1;K8S_POD_NAME=web;FOO=1;LABELS=app=web,tier=front");
        Assert.Equal("web", args[CniArgs.PodName]);
        Assert.Equal("app=web,tier=front", args[CniArgs.Labels]);
        Assert.Null(args["MISSING"]);
    }
}
