using System.Net.Sockets;
using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Cni;

/// <summary>
/// The plugin driven as a runtime drives it (environment + stdin), on the paths that need no running xdpnet: bad
/// input answered with the spec's error object and a non-zero exit, and a failed ADD that leaves nothing behind (no
/// veth on the host, no interface in the container, no address allocated).
/// </summary>
[Collection("netns")]
public sealed class CniErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xdpnet-cni-err-").FullName;
    private readonly NetNs _host = NetNs.Create("cni-h");
    private readonly NetNs _container = NetNs.Create("cni-c");
    private readonly CniPluginRunner _plugin;

    public CniErrorTests() => _plugin = new CniPluginRunner(_host);

    private string Socket => Path.Combine(_dir, "xdpnet.sock");
    private string DataDir => Path.Combine(_dir, "ipam");
    private string NetNsPath => $"/run/netns/{_container.Name}";

    private string IlaConfig => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["cniVersion"] = "1.0.0",
        ["name"] = "ila-test",
        ["type"] = "xdpnet-cni",
        ["mode"] = "ila",
        ["sirPrefix"] = "2001:db8:5151::/64",
        ["identifierRange"] = "1:0:0:100-1:0:0:1ff",
        ["socket"] = Socket,
        ["dataDir"] = DataDir,
    });

    private void AssertNothingLeft()
    {
        Assert.Empty(_plugin.HostVeths());
        var links = _container.ExecChecked("ip", "-j", "link", "show").StdOut;
        using (var doc = JsonDocument.Parse(links))
        {
            var names = doc.RootElement.EnumerateArray().Select(l => l.GetProperty("ifname").GetString()).ToList();
            Assert.Equal(["lo"], names);
        }
        var records = Directory.Exists(DataDir)
            ? Directory.EnumerateFiles(DataDir, "*", SearchOption.AllDirectories).Where(f => System.Net.IPAddress.TryParse(Path.GetFileName(f), out _)).ToList()
            : [];
        Assert.Empty(records);
    }

    private static void AssertError(CniInvocation r, int code, string? keyInMessage = null)
    {
        Assert.True(r.ExitCode != 0, r.ToString());
        using var doc = r.Json;
        var root = doc.RootElement;
        Assert.Equal("1.0.0", root.GetProperty("cniVersion").GetString());
        Assert.True(code == root.GetProperty("code").GetInt32(), r.ToString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("msg").GetString()));
        if (keyInMessage is not null) Assert.StartsWith(keyInMessage + ":", root.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [RootFact]
    public void MalformedConfigurationIsADecodingFailureAndLeavesNothing()
    {
        AssertError(_plugin.Invoke("ADD", "{ \"cniVersion\": \"1.0.0\", ", "c1", NetNsPath), 6);
        AssertNothingLeft();
    }

    [RootFact]
    public void InvalidConfigurationNamesTheKey()
    {
        AssertError(_plugin.Invoke("ADD", IlaConfig.Replace("1:0:0:1ff", "1:0:0:1ff:5", StringComparison.Ordinal), "c1", NetNsPath), 7, "identifierRange");
        AssertError(_plugin.Invoke("ADD", IlaConfig.Replace("\"mode\"", "\"vni\":42,\"mode\"", StringComparison.Ordinal), "c1", NetNsPath), 2, "vni");
        AssertError(_plugin.Invoke("ADD", IlaConfig.Replace("1.0.0", "0.3.1", StringComparison.Ordinal), "c1", NetNsPath), 1, "cniVersion");
        AssertNothingLeft();
    }

    [RootFact]
    public void MissingNetworkNamespaceIsAnUnknownContainer()
    {
        File.WriteAllText(Socket, ""); // past the "is xdpnet running" check: the namespace is what is missing
        AssertError(_plugin.Invoke("ADD", IlaConfig, "c1", "/run/netns/xdpnet-cni-no-such-ns"), 3, "CNI_NETNS");
        AssertNothingLeft();
    }

    [RootFact]
    public void BadEnvironmentIsCode4()
    {
        AssertError(_plugin.Invoke("ATTACH", IlaConfig, "c1", NetNsPath), 4, "CNI_COMMAND");
        AssertError(_plugin.Invoke("ADD", IlaConfig, "", NetNsPath), 4, "CNI_CONTAINERID");
        AssertError(_plugin.Invoke("ADD", IlaConfig, "c1", NetNsPath, ifName: "an-interface-name-too-long"), 4, "CNI_IFNAME");
        AssertError(_plugin.Invoke("ADD", IlaConfig, "c1", NetNsPath, args: "FOO=bar"), 4, "CNI_ARGS");
        AssertNothingLeft();
    }

    /// <summary>
    /// A control socket nobody listens on (xdpnet died and left it): ADD allocates, creates the veth and configures
    /// both ends, then fails to register, and undoes all of it; a second attempt does the same.
    /// </summary>
    [RootFact]
    public void AddWhoseRegistrationFailsRollsEverythingBack()
    {
        // Bound but never listening: connecting is refused, as on a socket file an xdpnet that died left behind.
        using var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(Socket));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var r = _plugin.Invoke("ADD", IlaConfig, "c1", NetNsPath);
            AssertError(r, 11, "socket");
            Assert.Contains("rolling back", r.StdErr, StringComparison.Ordinal);
            AssertNothingLeft();
        }
        // Each attempt had an address (released again); a released one is handed out again only after the range went round.
        Assert.Equal(System.Net.IPAddress.Parse("2001:db8:5151::1:0:0:101"),
            System.Net.IPAddress.Parse(File.ReadAllText(Path.Combine(DataDir, "ila-test", "last-reserved")).Trim()));
    }

    /// <summary>CNI_IFNAME is taken in the container: the veth cannot be created, the address taken for it is released.</summary>
    [RootFact]
    public void AddIntoATakenInterfaceNameFailsAndReleasesTheAddress()
    {
        File.WriteAllText(Socket, "");
        _container.ExecChecked("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"); // no dummy module here
        var r = _plugin.Invoke("ADD", IlaConfig, "c1", NetNsPath);
        AssertError(r, 101);
        Assert.Contains("rolling back", r.StdErr, StringComparison.Ordinal);
        _container.ExecChecked("ip", "link", "del", "eth0");
        AssertNothingLeft();
    }

    [RootFact]
    public void DelOfWhatDoesNotExistSucceeds()
    {
        foreach (var netns in new[] { NetNsPath, "", "/run/netns/xdpnet-cni-gone" })
        {
            var r = _plugin.Invoke("DEL", IlaConfig, "never-added", netns);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("", r.StdOut.Trim());
        }
        AssertNothingLeft();
    }

    [RootFact]
    public void CheckNeedsThePreviousResult()
    {
        AssertError(_plugin.Invoke("CHECK", IlaConfig, "c1", NetNsPath), 7, "prevResult");
    }

    [RootFact]
    public void VersionAnswersTheSupportedVersions()
    {
        var r = _plugin.Invoke("VERSION", "{\"cniVersion\":\"1.0.0\"}");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = r.Json;
        Assert.Contains("1.0.0", doc.RootElement.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()));
    }

    public void Dispose()
    {
        _container.Dispose();
        _host.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
