using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using XdpNet.IntegrationTests.Ctl;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Ila;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.ControlPlane;

/// <summary>
/// The two ILA hosts of <see cref="IlaTopology"/> running <c>xdpnet run</c> against one real etcd
/// (<see cref="EtcdControlNetwork"/>): their files hold interfaces and routes only, every identifier->locator
/// mapping comes from etcd, written with <c>xdpnet ctl mapping add</c>. Moving a container to another host is one
/// etcd write (plus the container's address moving to its new slot): no file changes, no signal.
/// </summary>
[Collection("netns")]
public sealed class EtcdIlaTests : IDisposable
{
    /// <summary>What a host logs when a mapping change reached its live tables (in place, without a reload).</summary>
    private const string Applied = XdpNet.Host.ClusterIlaMappings.AppliedInPlace;

    private const string Sir = "2001:db8:5151::";
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private readonly EtcdControlNetwork? _etcd;
    private readonly IlaTopology? _t;
    private readonly string _dirA = Directory.CreateTempSubdirectory("xdpnet-etcd-ila-a-").FullName;
    private readonly string _dirB = Directory.CreateTempSubdirectory("xdpnet-etcd-ila-b-").FullName;
    private XdpNetProcess? _xa, _xb;

    public EtcdIlaTests()
    {
        if (!Environment.IsPrivilegedProcess || !File.Exists(EtcdControlNetwork.EtcdPath)) return;
        try
        {
            _etcd = EtcdControlNetwork.Start();
            _t = IlaTopology.Create();
            _etcd.Attach(_t.A);
            _etcd.Attach(_t.B);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private IlaTopology T => _t!;
    private EtcdControlNetwork Etcd => _etcd!;

    private string Outputs => $"--- xdpnet A ---\n{_xa?.Output}\n--- xdpnet B ---\n{_xb?.Output}\n--- etcd ---\n{_etcd?.Log()}";

    /// <summary>
    /// <see cref="IlaTopology.WriteConfig"/>'s file without its mappings and with an Etcd section; on
    /// <paramref name="extraRoutes"/> hosts a /128 route per given (identifier, interface): the slot a container
    /// may move into must be routed before the move, since only etcd changes at the move.
    /// </summary>
    private string WriteEtcdConfig(char host, string directory, params (int Identifier, string Interface)[] extraRoutes)
    {
        var path = T.WriteConfig(host, directory);
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        foreach (var domain in root["Ila"]!["Domains"]!.AsArray()) domain!["Mappings"] = new JsonArray();
        var routes = root["Routes"]!.AsArray();
        foreach (var (identifier, iface) in extraRoutes)
            routes.Add(new JsonObject { ["Prefix"] = IlaTopology.SirAddress(identifier) + "/128", ["Interface"] = iface });
        root["Etcd"] = new JsonObject
        {
            ["Endpoints"] = new JsonArray(EtcdControlNetwork.Url),
            ["StartTimeoutSeconds"] = 20,
        };
        File.WriteAllText(path + ".new", root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(path + ".new", path, overwrite: true);
        return path;
    }

    private void Map(int identifier, string locator) =>
        Etcd.Ctl("mapping", "add", "--sir-prefix", Sir, "--identifier", "1:0:0:" + identifier.ToString(CultureInfo.InvariantCulture), "--locator", locator).EnsureSuccess();

    private static bool Ping(NetNs from, string address, int count = 3) =>
        from.Exec(TimeSpan.FromSeconds(20), "ping", "-6", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-W", "2", address).Succeeded;

    private void ResolveNeighbours(params (int From, int To)[] pairs)
    {
        foreach (var (from, to) in pairs)
        {
            var ok = false;
            for (var i = 0; i < 20 && !ok; i++) ok = Ping(T[from].Ns, IlaTopology.SirAddress(to), 1);
            Assert.True(ok, $"c{from} never reached c{to}:\n{Outputs}");
        }
    }

    private long Counter(NetNs ns, string directory, string iface, string counter)
    {
        using var doc = XdpNetProcess.Stats(ns, IlaTopology.StatsSocket(directory));
        foreach (var i in doc.RootElement.GetProperty("interfaces").EnumerateArray())
        {
            if (i.GetProperty("name").GetString() == iface) return i.GetProperty(counter).GetInt64();
        }
        throw new InvalidOperationException($"no interface {iface} in stats");
    }

    private static int Count(string text, string what)
    {
        var n = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private void WaitForMore(XdpNetProcess x, string text, int than)
    {
        for (var i = 0; i < 100 && Count(x.Output, text) <= than; i++) Thread.Sleep(100);
        Assert.True(Count(x.Output, text) > than, $"no new '{text}':\n{Outputs}");
    }

    [EtcdFact]
    public void MovingAnIdentifierByOneEtcdWriteKeepsItsSirAddressReachable()
    {
        var slot = T.AddSlot('a'); // where c3 will run on A: interfaces cannot change live
        Map(1, IlaTopology.LocatorA);
        Map(2, IlaTopology.LocatorA);
        Map(3, IlaTopology.LocatorB);
        Map(4, IlaTopology.LocatorB);
        var listed = JsonDocument.Parse(Etcd.Ctl("mapping", "list", "--json").EnsureSuccess().StdOut).RootElement;
        Assert.Equal(4, listed.GetArrayLength());

        // A routes 1:0:0:3 to the empty slot already: while etcd maps it to B's locator the mapping wins.
        _xa = XdpNetProcess.Start(T.A, "run", "--config", WriteEtcdConfig('a', _dirA, (3, slot.HostSide)));
        _xb = XdpNetProcess.Start(T.B, "run", "--config", WriteEtcdConfig('b', _dirB));
        _xa.WaitReady(Startup);
        _xb.WaitReady(Startup);
        Assert.Contains("etcd: snapshot at revision", _xa.Output, StringComparison.Ordinal);
        Assert.Contains("etcd: snapshot at revision", _xb.Output, StringComparison.Ordinal);

        ResolveNeighbours((2, 3), (4, 3), (1, 4));
        var onB = Counter(T.B, _dirB, T[3].HostSide, "tx_packets");
        Assert.True(Ping(T[2].Ns, IlaTopology.SirAddress(3)), Outputs);
        Assert.True(Counter(T.B, _dirB, T[3].HostSide, "tx_packets") - onB >= 3, "before the move, c2's echoes did not reach c3 on B");

        // The move: c3's address goes to the slot on A, and one etcd write maps 1:0:0:3 to A's locator.
        var appliedA = Count(_xa.Output, Applied);
        var appliedB = Count(_xb.Output, Applied);
        var moved = T.Move(3, 'a');
        Assert.Same(slot, moved);
        Map(3, IlaTopology.LocatorA);
        WaitForMore(_xa, Applied, appliedA);
        WaitForMore(_xb, Applied, appliedB);
        Assert.DoesNotContain("reload refused", Outputs, StringComparison.Ordinal);

        ResolveNeighbours((2, 3), (4, 3), (3, 4));
        var delivered = Counter(T.A, _dirA, moved.HostSide, "tx_packets");
        Assert.True(Ping(T[2].Ns, IlaTopology.SirAddress(3)), Outputs); // now on the same host as c2
        Assert.True(Ping(T[4].Ns, IlaTopology.SirAddress(3)), Outputs); // across the underlay to A's locator
        Assert.True(Counter(T.A, _dirA, moved.HostSide, "tx_packets") - delivered >= 6, "the echoes did not reach c3 on host A");

        Assert.Equal(0, _xa.Interrupt(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, _xb.Interrupt(TimeSpan.FromSeconds(20)));
    }

    public void Dispose()
    {
        _xa?.Dispose();
        _xb?.Dispose();
        _t?.Dispose();
        _etcd?.Dispose();
        Directory.Delete(_dirA, recursive: true);
        Directory.Delete(_dirB, recursive: true);
    }
}
