using System.Globalization;
using XdpNet.IntegrationTests.Ctl;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.ControlPlane;

/// <summary>
/// Three VXLAN hosts (<see cref="EtcdVxlanTopology"/>), each running <c>xdpnet run</c> against the same real etcd
/// (<see cref="EtcdControlNetwork"/>), the segment's FDB entries and flood list written with <c>xdpnet ctl</c> as an
/// operator would. c2 moves from host B to host A by one etcd write (its FDB entry's VTEP), recreated there with the
/// same MAC and address: host C, which has no part in the move, keeps reaching it. Then a Cilium policy written into
/// etcd denies a flow on every host, and removing it allows the flow again.
/// </summary>
[Collection("netns")]
public sealed class EtcdThreeHostVxlanTests : IDisposable
{
    private const string Prefix = "/xdpnet/";
    private const int Datagrams = 200;
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private static readonly string Vni = EtcdVxlanTopology.Vni.ToString(CultureInfo.InvariantCulture);
    private readonly EtcdControlNetwork? _etcd;
    private readonly EtcdVxlanTopology? _t;
    private readonly Dictionary<char, string> _dirs = [];
    private readonly Dictionary<char, XdpNetProcess> _x = [];

    public EtcdThreeHostVxlanTests()
    {
        if (!Environment.IsPrivilegedProcess || !File.Exists(EtcdControlNetwork.EtcdPath)) return;
        try
        {
            _etcd = EtcdControlNetwork.Start();
            _t = EtcdVxlanTopology.Create("abc");
            foreach (var h in _t.Hosts)
            {
                _etcd.Attach(h.Ns);
                _dirs[h.Name] = Directory.CreateTempSubdirectory($"xdpnet-etcdvx-{h.Name}-").FullName;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private EtcdVxlanTopology T => _t!;
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

    private string Ctl(params string[] arguments) => Etcd.Ctl(["--prefix", Prefix, .. arguments]).EnsureSuccess().StdOut;

    /// <summary>Where <paramref name="number"/>'s MAC lives: one write, as an operator would do it.</summary>
    private void Fdb(int number, char host) =>
        Ctl("fdb", "add", "--vni", Vni, "--mac", EtcdVxlanTopology.MacOf(number), "--vtep", T[host].Vtep);

    private static bool Ping(NetNs from, string address, int count = 3) =>
        from.Exec(TimeSpan.FromSeconds(20), "ping", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-W", "2", address).Succeeded;

    /// <summary>
    /// The first frames towards an unresolved underlay neighbour are dropped as no-neighbour, and ARP crosses the
    /// overlay by flooding: ping until every pair answers.
    /// </summary>
    private void Resolve(params (int From, int To)[] pairs)
    {
        foreach (var (from, to) in pairs)
        {
            var ok = false;
            for (var i = 0; i < 20 && !ok; i++) ok = Ping(T.Of(from).Ns, EtcdVxlanTopology.Ipv4(to), 1);
            Assert.True(ok, $"c{from} never reached c{to}:\n{Outputs}");
        }
    }

    private int Udp(int from, int to, int port) =>
        UdpFlow.Run(T.Of(from).Ns, T.Of(to).Ns, EtcdVxlanTopology.Ipv4(to), port, Datagrams);

    private long Interface(char host, string iface, string counter)
    {
        using var doc = XdpNetProcess.Stats(T[host].Ns, EtcdVxlanTopology.StatsSocket(_dirs[host]));
        foreach (var i in doc.RootElement.GetProperty("interfaces").EnumerateArray())
        {
            if (i.GetProperty("name").GetString() == iface) return i.GetProperty(counter).GetInt64();
        }
        throw new InvalidOperationException($"no interface {iface} in stats");
    }

    /// <summary>Packets dropped for <paramref name="reason"/> on every interface of <paramref name="host"/>.</summary>
    private long Drops(char host, string reason)
    {
        using var doc = XdpNetProcess.Stats(T[host].Ns, EtcdVxlanTopology.StatsSocket(_dirs[host]));
        long total = 0;
        foreach (var i in doc.RootElement.GetProperty("interfaces").EnumerateArray())
        {
            if (i.TryGetProperty("drops", out var drops) && drops.TryGetProperty(reason, out var v)) total += v.GetInt64();
        }
        return total;
    }

    private static int Count(string text, string what)
    {
        var n = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private Dictionary<char, int> Applied() => _x.ToDictionary(p => p.Key, p => Count(p.Value.Output, "reload: applied"));

    /// <summary>Waits until every host applied one more reload than in <paramref name="before"/>.</summary>
    private void WaitApplied(Dictionary<char, int> before, int seconds = 20)
    {
        foreach (var (name, x) in _x)
        {
            for (var i = 0; i < seconds * 10 && Count(x.Output, "reload: applied") <= before[name]; i++) Thread.Sleep(100);
            Assert.True(Count(x.Output, "reload: applied") > before[name], $"host {name} applied no new reload:\n{Outputs}");
        }
        Assert.DoesNotContain("reload refused", Outputs, StringComparison.Ordinal);
    }

    /// <summary>Starts the three xdpnets on their files and waits for their etcd snapshots.</summary>
    private void StartHosts(bool endpoints)
    {
        foreach (var h in T.Hosts)
        {
            _x[h.Name] = XdpNetProcess.Start(h.Ns, "run", "--config", T.WriteConfig(h.Name, _dirs[h.Name], EtcdControlNetwork.Url, Prefix, endpoints));
        }
        foreach (var x in _x.Values) x.WaitReady(Startup);
        foreach (var x in _x.Values) Assert.Contains("etcd: snapshot at revision", x.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// c1 on A (and an empty slot), c2 on B, c3 on C; the FDB and the flood list (every VTEP) in etcd; c3's echoes and
    /// datagrams reach c2 on B. c2 then moves to the slot on A and one write changes its FDB entry's VTEP.
    /// </summary>
    [EtcdFact]
    public void AMacMovedByOneEtcdWriteStaysReachableFromTheThirdHost()
    {
        T.AddContainer(1, 'a');
        var slot = T.AddSlot('a');
        var c2 = T.AddContainer(2, 'b');
        T.AddContainer(3, 'c');
        foreach (var h in T.Hosts) Ctl("flood", "add", "--vni", Vni, "--vtep", h.Vtep);
        Fdb(1, 'a');
        Fdb(2, 'b');
        Fdb(3, 'c');
        StartHosts(endpoints: false);

        Resolve((3, 2), (1, 2), (1, 3));
        var onB = Interface('b', c2.HostSide, "tx_packets");
        Assert.Equal(Datagrams, Udp(3, 2, 5001));
        Assert.True(Interface('b', c2.HostSide, "tx_packets") - onB >= Datagrams, "before the move, c3's datagrams did not reach c2 on B through xdpnet");

        // The move: c2 stops on B and is recreated on A with its MAC and address; one etcd write says so.
        var applied = Applied();
        var moved = T.Move(2, slot);
        Fdb(2, 'a');
        WaitApplied(applied);
        using (var fdb = System.Text.Json.JsonDocument.Parse(Ctl("fdb", "list", "--vni", Vni, "--json")))
        {
            var entry = fdb.RootElement.EnumerateArray().Single(e => e.GetProperty("mac").GetString() == EtcdVxlanTopology.MacOf(2));
            Assert.Equal(T['a'].Vtep, entry.GetProperty("vtep").GetString());
        }

        // c3 still has c2's MAC in its ARP cache: C now sends it to A's VTEP, A delivers it to the slot.
        var onA = Interface('a', moved.HostSide, "tx_packets");
        var oldOnB = Interface('b', c2.HostSide, "tx_packets");
        var cUplink = Interface('c', T['c'].Uplink, "tx_packets");
        Assert.True(Ping(T.Of(3).Ns, EtcdVxlanTopology.Ipv4(2)), "after the move c3 could not ping c2:\n" + Outputs);
        Assert.Equal(Datagrams, Udp(3, 2, 5002));
        Assert.True(Interface('a', moved.HostSide, "tx_packets") - onA >= Datagrams + 3, "after the move c3's traffic did not reach c2 on A");
        Assert.True(Interface('c', T['c'].Uplink, "tx_packets") - cUplink >= Datagrams + 3, "C's traffic did not leave by its uplink through xdpnet");
        Assert.True(Interface('b', c2.HostSide, "tx_packets") - oldOnB < 3, "B still delivered c2's traffic to its old place");
        // On A the moved container is local to c1.
        Resolve((1, 2));
        Assert.Equal(Datagrams, Udp(1, 2, 5003));

        foreach (var x in _x.Values) Assert.Equal(0, x.Interrupt(TimeSpan.FromSeconds(20)));
    }

    /// <summary>
    /// c1, c2, c3 (app=web) on A, B, C, each an endpoint of its host's file that the host publishes into etcd. A policy
    /// written with <c>xdpnet ctl policy add</c> denies UDP 5001 between web endpoints: every host drops its share of a
    /// ring of flows (c1 -> c2 -> c3 -> c1) as policy-denied while UDP 5002 still flows; removing it allows 5001 again.
    /// </summary>
    [EtcdFact]
    public void APolicyWrittenToEtcdDeniesOnEveryHostAndRemovingItAllowsAgain()
    {
        T.AddContainer(1, 'a');
        T.AddContainer(2, 'b');
        T.AddContainer(3, 'c');
        foreach (var h in T.Hosts) Ctl("flood", "add", "--vni", Vni, "--vtep", h.Vtep);
        Fdb(1, 'a');
        Fdb(2, 'b');
        Fdb(3, 'c');
        StartHosts(endpoints: true);

        // Every host has published its endpoint, and every host has seen the others' (they are the flows' identities).
        var published = 0;
        for (var i = 0; i < 100 && published < 3; i++)
        {
            using var list = System.Text.Json.JsonDocument.Parse(Ctl("endpoint", "list", "--json"));
            published = list.RootElement.EnumerateArray().Count(e => e.GetProperty("labels").EnumerateArray().Any(l => l.GetString() == "app=web"));
            if (published < 3) Thread.Sleep(100);
        }
        Assert.True(published == 3, $"{published} endpoints published:\n{Outputs}");

        (int From, int To)[] ring = [(1, 2), (2, 3), (3, 1)];
        Resolve(ring);
        foreach (var (from, to) in ring) Assert.Equal(Datagrams, Udp(from, to, 5001));

        var policy = Path.Combine(_dirs['a'], "deny-udp-5001.json");
        File.WriteAllText(policy, """
            [ { "endpointSelector": { "matchLabels": { "app": "web" } },
                "ingressDeny": [ { "fromEndpoints": [ { "matchLabels": { "app": "web" } } ],
                                   "toPorts": [ { "ports": [ { "port": "5001", "protocol": "UDP" } ] } ] } ],
                "enableDefaultDeny": { "ingress": false, "egress": false } } ]
            """);
        var applied = Applied();
        Ctl("policy", "add", "deny-udp-5001", "--file", policy);
        WaitApplied(applied);

        var denied = T.Hosts.ToDictionary(h => h.Name, h => Drops(h.Name, "policy-denied"));
        foreach (var (from, to) in ring)
        {
            Assert.True(Udp(from, to, 5001) == 0, $"c{from} -> c{to} UDP 5001 passed the policy:\n{Outputs}");
            Assert.Equal(Datagrams, Udp(from, to, 5002));
        }
        Assert.True(Ping(T.Of(1).Ns, EtcdVxlanTopology.Ipv4(2)), Outputs);
        foreach (var h in T.Hosts)
        {
            // Each host is the receiving end of one flow of the ring: its ingress policy drops it.
            Assert.True(Drops(h.Name, "policy-denied") - denied[h.Name] >= Datagrams, $"host {h.Name} did not count the denied datagrams:\n{Outputs}");
        }

        applied = Applied();
        Ctl("policy", "remove", "deny-udp-5001");
        WaitApplied(applied);
        denied = T.Hosts.ToDictionary(h => h.Name, h => Drops(h.Name, "policy-denied"));
        foreach (var (from, to) in ring) Assert.Equal(Datagrams, Udp(from, to, 5001));
        foreach (var h in T.Hosts) Assert.Equal(denied[h.Name], Drops(h.Name, "policy-denied"));

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
