using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Ctl;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.ControlPlane;

/// <summary>
/// Three ILA hosts (<see cref="EtcdIlaTopology"/>), each running <c>xdpnet run</c> against the same real etcd
/// (<see cref="EtcdControlNetwork"/>); every mapping is written with <c>xdpnet ctl mapping add</c>. c3 moves from
/// host B to host A by one etcd write (and its address moving to the slot provisioned for it): host C, which has no
/// part in the move and no file change, keeps reaching c3's SIR address, now at A's locator.
/// </summary>
[Collection("netns")]
public sealed class EtcdThreeHostIlaTests : IDisposable
{
    /// <summary>What a host logs when a mapping change reached its live tables (in place, without a reload).</summary>
    private const string Applied = XdpNet.Host.ClusterIlaMappings.AppliedInPlace;

    private const string Sir = "2001:db8:5151::";
    private const string Prefix = "/xdpnet/";
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private readonly EtcdControlNetwork? _etcd;
    private readonly EtcdIlaTopology? _t;
    private readonly Dictionary<char, string> _dirs = [];
    private readonly Dictionary<char, XdpNetProcess> _x = [];
    private readonly Dictionary<char, EtcdControlNetwork.ControlLink> _links = [];

    public EtcdThreeHostIlaTests()
    {
        if (!Environment.IsPrivilegedProcess || !File.Exists(EtcdControlNetwork.EtcdPath)) return;
        try
        {
            _etcd = EtcdControlNetwork.Start();
            _t = EtcdIlaTopology.Create("abc");
            foreach (var h in _t.Hosts)
            {
                _links[h.Name] = _etcd.Attach(h.Ns);
                _dirs[h.Name] = Directory.CreateTempSubdirectory($"xdpnet-etcd3-{h.Name}-").FullName;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private EtcdIlaTopology T => _t!;
    private EtcdControlNetwork Etcd => _etcd!;

    private string Outputs
    {
        get
        {
            var text = new System.Text.StringBuilder();
            foreach (var (name, x) in _x) text.Append("--- xdpnet ").Append(name).AppendLine(" ---").AppendLine(x.Output);
            return text.Append("--- etcd ---\n").Append(_etcd?.Log()).ToString();
        }
    }

    private void Map(int identifier, char host) =>
        Etcd.Ctl("--prefix", Prefix, "mapping", "add", "--sir-prefix", Sir, "--identifier", "1:0:0:" + identifier.ToString(CultureInfo.InvariantCulture), "--locator", T[host].Locator).EnsureSuccess();

    private static bool Ping(NetNs from, string address, int count = 3) =>
        from.Exec(TimeSpan.FromSeconds(20), "ping", "-6", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-W", "2", address).Succeeded;

    /// <summary>First packets towards unresolved next hops are dropped as no-neighbour: ping until every pair answers.</summary>
    private void ResolveNeighbours(params (int From, int To)[] pairs)
    {
        foreach (var (from, to) in pairs)
        {
            var ok = false;
            for (var i = 0; i < 20 && !ok; i++) ok = Ping(T.Of(from).Ns, EtcdIlaTopology.SirAddress(to), 1);
            Assert.True(ok, $"c{from} never reached c{to}:\n{Outputs}");
        }
    }

    private long Counter(char host, string iface, string counter)
    {
        using var doc = XdpNetProcess.Stats(T[host].Ns, EtcdIlaTopology.StatsSocket(_dirs[host]));
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

    private void WaitForMore(XdpNetProcess x, string text, int than, int seconds = 10)
    {
        for (var i = 0; i < seconds * 10 && Count(x.Output, text) <= than; i++) Thread.Sleep(100);
        Assert.True(Count(x.Output, text) > than, $"no new '{text}':\n{Outputs}");
    }

    /// <summary>c1 and an empty slot routed for 1:0:0:3 on A, c3 on B, c5 on C, mappings in etcd, three xdpnets started and c5 reaching c3 on B.</summary>
    private (EtcdIlaTopology.Container Slot, EtcdIlaTopology.Container C3) Start()
    {
        T.AddContainer(1, 'a');
        var slot = T.AddSlot('a', 3); // c3's place on A after the move, routed there from the start
        var c3 = T.AddContainer(3, 'b');
        T.AddContainer(5, 'c');
        Map(1, 'a');
        Map(3, 'b');
        Map(5, 'c');

        foreach (var h in T.Hosts) _x[h.Name] = XdpNetProcess.Start(h.Ns, "run", "--config", T.WriteConfig(h.Name, _dirs[h.Name], EtcdControlNetwork.Url, Prefix));
        foreach (var x in _x.Values) x.WaitReady(Startup);
        foreach (var x in _x.Values) Assert.Contains("etcd: snapshot at revision", x.Output, StringComparison.Ordinal);

        // Each host publishes itself under a lease.
        var hosts = Etcd.Ctl("--prefix", Prefix, "host", "list", "--json").EnsureSuccess().StdOut;
        for (var i = 0; i < 50 && !T.Hosts.All(h => hosts.Contains(T.NodeName(h.Name), StringComparison.Ordinal)); i++)
        {
            Thread.Sleep(100);
            hosts = Etcd.Ctl("--prefix", Prefix, "host", "list", "--json").EnsureSuccess().StdOut;
        }
        foreach (var h in T.Hosts) Assert.Contains(T.NodeName(h.Name), hosts, StringComparison.Ordinal);

        ResolveNeighbours((5, 3), (1, 3), (3, 5));
        var onB = Counter('b', c3.HostSide, "tx_packets");
        Assert.True(Ping(T.Of(5).Ns, EtcdIlaTopology.SirAddress(3)), Outputs);
        Assert.True(Counter('b', c3.HostSide, "tx_packets") - onB >= 3, "before the move, c5's echoes did not reach c3 on B");

        return (slot, c3);
    }

    [EtcdFact]
    public void AnIdentifierMovedByOneEtcdWriteStaysReachableFromTheThirdHost()
    {
        var (slot, c3) = Start();
        var applied = _x.ToDictionary(p => p.Key, p => Count(p.Value.Output, Applied));
        var moved = T.Move(3, 'a');
        Assert.Same(slot, moved);
        Map(3, 'a'); // the one etcd write
        foreach (var (name, x) in _x) WaitForMore(x, Applied, applied[name]);
        Assert.DoesNotContain("reload refused", Outputs, StringComparison.Ordinal);

        ResolveNeighbours((5, 3), (1, 3), (3, 5));
        var onA = Counter('a', moved.HostSide, "tx_packets");
        var cUplink = Counter('c', T['c'].Uplink, "tx_packets");
        var oldSlot = Counter('b', c3.HostSide, "tx_packets");
        Assert.True(Ping(T.Of(5).Ns, EtcdIlaTopology.SirAddress(3)), Outputs); // C -> A's locator, over the underlay
        Assert.True(Ping(T.Of(1).Ns, EtcdIlaTopology.SirAddress(3)), Outputs); // local on A now
        Assert.True(Counter('a', moved.HostSide, "tx_packets") - onA >= 6, "after the move, the echoes did not reach c3 on A");
        Assert.True(Counter('c', T['c'].Uplink, "tx_packets") - cUplink >= 3, "C's echoes did not leave by its uplink through xdpnet");
        Assert.True(Counter('b', c3.HostSide, "tx_packets") - oldSlot < 3, "B still delivered echoes to c3's old slot");

        foreach (var x in _x.Values) Assert.Equal(0, x.Interrupt(TimeSpan.FromSeconds(20)));
    }

    /// <summary>
    /// etcd crashes (the data planes forward meanwhile with their last state) and comes back while host C is cut off
    /// it; c3 moves then, so C misses the write: once its control link is back, C reconnects from the revision after
    /// its last one and applies the write it missed.
    /// </summary>
    [EtcdFact]
    public void EtcdRestartedWhileAHostIsCutOffLosesNoChange()
    {
        var (slot, _) = Start();

        Etcd.Stop();
        Assert.True(Ping(T.Of(5).Ns, EtcdIlaTopology.SirAddress(3)), "with etcd down the last state must keep forwarding:\n" + Outputs);
        Assert.True(Ping(T.Of(1).Ns, EtcdIlaTopology.SirAddress(3)), Outputs);
        // C is cut off before etcd returns: its watch stream broke with etcd's crash and cannot be opened again.
        _links['c'].Down();
        Etcd.Restart();

        var applied = _x.ToDictionary(p => p.Key, p => Count(p.Value.Output, Applied));
        var moved = T.Move(3, 'a');
        Assert.Same(slot, moved);
        Map(3, 'a');
        var failedAttempts = Count(_x['c'].Output, "etcd watch interrupted");
        // A and B watch again after etcd's restart: they apply the write.
        WaitForMore(_x['a'], Applied, applied['a'], 30);
        WaitForMore(_x['b'], Applied, applied['b'], 30);
        ResolveNeighbours((1, 3));
        // C is still trying (a failed attempt after the write) and still maps 1:0:0:3 to B's locator, where B's
        // own route leads to the emptied slot: c3 is out of C's reach until it resynchronises.
        WaitForMore(_x['c'], "etcd watch interrupted", failedAttempts, 30);
        Assert.Equal(applied['c'], Count(_x['c'].Output, Applied));
        Assert.False(Ping(T.Of(5).Ns, EtcdIlaTopology.SirAddress(3), 1), "C cannot know of the move while cut off:\n" + Outputs);

        _links['c'].Up();
        WaitForMore(_x['c'], Applied, applied['c'], 30);
        Assert.DoesNotContain("reload refused", Outputs, StringComparison.Ordinal);
        ResolveNeighbours((5, 3), (3, 5));
        var onA = Counter('a', moved.HostSide, "tx_packets");
        Assert.True(Ping(T.Of(5).Ns, EtcdIlaTopology.SirAddress(3)), Outputs);
        Assert.True(Counter('a', moved.HostSide, "tx_packets") - onA >= 3, "after C's resync its echoes did not reach c3 on A");

        foreach (var x in _x.Values) Assert.Equal(0, x.Interrupt(TimeSpan.FromSeconds(20)));
    }

    public void Dispose()
    {
        foreach (var x in _x.Values) x.Dispose();
        _t?.Dispose();
        _etcd?.Dispose();
        foreach (var d in _dirs.Values) Directory.Delete(d, recursive: true);
    }
}
