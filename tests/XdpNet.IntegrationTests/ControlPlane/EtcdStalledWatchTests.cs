using System.Globalization;
using XdpNet.IntegrationTests.Ctl;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.ControlPlane;

/// <summary>
/// <c>xdpnet run</c>'s watch stalls silently: every etcd connection host B has open goes dark (etcd's packets to
/// them are dropped in B's namespace; the connections stay established, etcd keeps retransmitting), while new
/// connections work. c3 then moves from B to A by one etcd write. B's old watch would never deliver it; the client's
/// watchdog finds the stream owes a change, gives it up, and B's new watch applies the move.
/// </summary>
[Collection("netns")]
public sealed class EtcdStalledWatchTests : IDisposable
{
    private const string Sir = "2001:db8:5151::";
    private const string Prefix = "/xdpnet/";
    private readonly EtcdControlNetwork? _etcd;
    private readonly EtcdIlaTopology? _t;
    private readonly Dictionary<char, string> _dirs = [];
    private readonly Dictionary<char, XdpNetProcess> _x = [];

    public EtcdStalledWatchTests()
    {
        if (!Environment.IsPrivilegedProcess || !File.Exists(EtcdControlNetwork.EtcdPath)) return;
        try
        {
            _etcd = EtcdControlNetwork.Start();
            _t = EtcdIlaTopology.Create("ab");
            foreach (var h in _t.Hosts)
            {
                _etcd.Attach(h.Ns);
                _dirs[h.Name] = Directory.CreateTempSubdirectory($"xdpnet-etcdstall-{h.Name}-").FullName;
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

    private void Resolve(int from, int to)
    {
        var ok = false;
        for (var i = 0; i < 20 && !ok; i++) ok = Ping(T.Of(from).Ns, EtcdIlaTopology.SirAddress(to), 1);
        Assert.True(ok, $"c{from} never reached c{to}:\n{Outputs}");
    }

    private static int Count(string text, string what)
    {
        var n = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Changes applied: a mapping change is written in place, anything else reloads.</summary>
    private static int Applied(XdpNetProcess x) => Count(x.Output, "ILA mappings applied in place") + Count(x.Output, "reload: applied");

    [EtcdFact]
    public void AWatchThatStallsWithItsConnectionAliveIsReplacedAndTheMoveIsApplied()
    {
        T.AddContainer(1, 'a');
        var slot = T.AddSlot('a', 3);
        T.AddContainer(3, 'b');
        T.AddContainer(4, 'b');
        Map(1, 'a');
        Map(3, 'b');
        Map(4, 'b');
        foreach (var h in T.Hosts) _x[h.Name] = XdpNetProcess.Start(h.Ns, "run", "--config", T.WriteConfig(h.Name, _dirs[h.Name], EtcdControlNetwork.Url, Prefix));
        foreach (var x in _x.Values) x.WaitReady(TimeSpan.FromSeconds(60));
        Resolve(1, 3);
        Resolve(4, 1);

        // Every established connection of B to etcd (its watch among them) goes dark; new ones are not affected.
        var connections = T['b'].Ns.ExecChecked("ss", "-Htn", "state", "established", "dst", EtcdControlNetwork.Address + ":2379").StdOut;
        var ports = connections.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^2])
            .Select(local => local[(local.LastIndexOf(':') + 1)..]).Distinct().ToList();
        Assert.NotEmpty(ports);
        foreach (var port in ports)
        {
            T['b'].Ns.ExecChecked("iptables", "-I", "INPUT", "-p", "tcp", "-s", EtcdControlNetwork.Address, "--sport", "2379", "--dport", port, "-j", "DROP");
        }

        var applied = Applied(_x['b']);
        var moved = T.Move(3, 'a');
        Assert.Same(slot, moved);
        Map(3, 'a');
        // The watchdog's interval (10 s), its grace (5 s), then a new watch.
        for (var i = 0; i < 400 && Applied(_x['b']) <= applied; i++) Thread.Sleep(100);
        Assert.True(Applied(_x['b']) > applied, "B never applied the move:\n" + Outputs);
        Assert.Contains("stalled", _x['b'].Output, StringComparison.Ordinal);
        Assert.DoesNotContain("stalled", _x['a'].Output, StringComparison.Ordinal);

        // c4 on B reaches c3 at A's locator: B applied the move.
        Resolve(4, 3);
        Assert.True(Ping(T.Of(4).Ns, EtcdIlaTopology.SirAddress(3)), Outputs);
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
