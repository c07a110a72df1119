using System.Text;
using System.Text.Json;
using XdpNet.Cni.Netns;
using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Tests;

public sealed class CniProtocolTests
{
    private static readonly CniResult Sample = new("1.0.0",
        [new CniInterface("xc0123456789abc", "02:11:22:33:44:55", null), new CniInterface("eth0", "02:66:77:88:99:aa", "/run/netns/c1")],
        [new CniIp("2001:db8:5151::1:0:0:100/128", "fe80::1", 1)],
        [new CniRoute("::/0", "fe80::1")]);

    /// <summary>CNI 1.0 "Success": interfaces (sandbox only on the container's), ips with the index of their interface, routes.</summary>
    [Fact]
    public void ResultHasTheSpecShape()
    {
        using var doc = JsonDocument.Parse(Sample.ToJson());
        var root = doc.RootElement;
        Assert.Equal("1.0.0", root.GetProperty("cniVersion").GetString());
        var interfaces = root.GetProperty("interfaces");
        Assert.Equal(2, interfaces.GetArrayLength());
        Assert.False(interfaces[0].TryGetProperty("sandbox", out _));
        Assert.Equal("/run/netns/c1", interfaces[1].GetProperty("sandbox").GetString());
        var ip = root.GetProperty("ips")[0];
        Assert.Equal("2001:db8:5151::1:0:0:100/128", ip.GetProperty("address").GetString());
        Assert.Equal("fe80::1", ip.GetProperty("gateway").GetString());
        Assert.Equal(1, ip.GetProperty("interface").GetInt32());
        Assert.False(ip.TryGetProperty("version", out _)); // 0.x only
        Assert.Equal("::/0", root.GetProperty("routes")[0].GetProperty("dst").GetString());
        Assert.Equal("fe80::1", root.GetProperty("routes")[0].GetProperty("gw").GetString());
    }

    [Fact]
    public void ResultReadsBackAsPrevResult()
    {
        using var doc = JsonDocument.Parse(Sample.ToJson());
        Assert.Equal(Sample.ToJson(), CniResult.Parse(doc.RootElement).ToJson());
    }

    [Fact]
    public void ErrorObjectHasCodeMsgDetails()
    {
        using var doc = JsonDocument.Parse(CniOutput.Error("1.0.0", 7, "subnet: 'x' is not a prefix", "subnet"));
        var root = doc.RootElement;
        Assert.Equal("1.0.0", root.GetProperty("cniVersion").GetString());
        Assert.Equal(7, root.GetProperty("code").GetInt32());
        Assert.Equal("subnet: 'x' is not a prefix", root.GetProperty("msg").GetString());
        Assert.Equal("subnet", root.GetProperty("details").GetString());
    }

    private static (int Exit, JsonDocument Output) Run(string stdin, params (string, string)[] env)
    {
        var vars = new Dictionary<string, string>();
        foreach (var (k, v) in env) vars[k] = v;
        var (exit, output) = Program.Run(Encoding.UTF8.GetBytes(stdin), () => CniEnvironment.Parse(vars), TextWriter.Null);
        return (exit, JsonDocument.Parse(output));
    }

    [Fact]
    public void VersionListsTheSupportedVersions()
    {
        var (exit, doc) = Run("""{"cniVersion":"1.0.0"}""", ("CNI_COMMAND", "VERSION"));
        using (doc)
        {
            Assert.Equal(0, exit);
            Assert.Equal("1.0.0", doc.RootElement.GetProperty("cniVersion").GetString());
            Assert.Equal("1.0.0", doc.RootElement.GetProperty("supportedVersions")[0].GetString());
        }
    }

    [Theory]
    [InlineData("STATUS", CniErrorCode.IncompatibleVersion)]
    [InlineData("GC", CniErrorCode.IncompatibleVersion)]
    [InlineData("RESTART", CniErrorCode.InvalidEnvironment)]
    public void CommandsOutside10AreRefusedWithAnErrorObject(string command, int code)
    {
        var (exit, doc) = Run(NetworkConfigTests.Ila, ("CNI_COMMAND", command));
        using (doc)
        {
            Assert.NotEqual(0, exit);
            Assert.Equal(code, doc.RootElement.GetProperty("code").GetInt32());
        }
    }

    [Fact]
    public void HostNamesFitIfnamsizAndMacsAreLocalUnicast()
    {
        var names = new HashSet<string>();
        for (var i = 0; i < 1000; i++)
        {
            var name = VethPair.HostName("net", "container" + i, "eth0");
            Assert.True(name.Length <= 15);
            Assert.Null(CniEnvironment.InterfaceNameProblem(name));
            Assert.True(names.Add(name));
        }
        Assert.Equal(VethPair.HostName("net", "c", "eth0"), VethPair.HostName("net", "c", "eth0"));
        Assert.NotEqual(VethPair.HostName("net", "c", "eth0"), VethPair.HostName("net", "c", "eth1"));
        Assert.NotEqual(VethPair.HostName("net", "c", "eth0"), VethPair.HostName("other", "c", "eth0"));
        var (host, container) = VethPair.Macs("net", "c", "eth0");
        Assert.NotEqual(host, container);
        foreach (var mac in new[] { host, container })
        {
            var first = Convert.ToByte(mac[..2], 16);
            Assert.Equal(0x02, first & 0x03); // locally administered, unicast
        }
    }
}
