using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Ila;

/// <summary>
/// Two container hosts, each running <c>xdpnet run</c> with its own configuration file (<see cref="IlaTopology"/>):
/// containers reach each other across hosts by SIR address, the underlay carries ILA addresses, and moving an
/// identifier to the other host keeps its SIR address reachable. No offload is turned off anywhere.
/// </summary>
[Collection("netns")]
public sealed class IlaTests : IDisposable
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private IlaTopology? _topology;
    private bool _onLink;
    private readonly string _dirA = Directory.CreateTempSubdirectory("xdpnet-ila-a-").FullName;
    private readonly string _dirB = Directory.CreateTempSubdirectory("xdpnet-ila-b-").FullName;
    private XdpNetProcess? _xa, _xb;

    /// <summary>Created on first use, after a test has chosen its container addressing (<see cref="IlaTopology.OnLink"/>).</summary>
    private IlaTopology T => _topology ??= IlaTopology.Create(_onLink);

    private void StartBoth()
    {
        _xa = XdpNetProcess.Start(T.A, "run", "--config", T.WriteConfig('a', _dirA));
        _xb = XdpNetProcess.Start(T.B, "run", "--config", T.WriteConfig('b', _dirB));
        _xa.WaitReady(Startup);
        _xb.WaitReady(Startup);
    }

    private void StopBoth()
    {
        Assert.Equal(0, _xa!.Interrupt(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, _xb!.Interrupt(TimeSpan.FromSeconds(20)));
        _xa.Dispose();
        _xb.Dispose();
        _xa = _xb = null;
    }

    private string Outputs => $"--- xdpnet A ---\n{_xa?.Output}\n--- xdpnet B ---\n{_xb?.Output}";

    private static bool Ping(NetNs from, string address, int count = 3) =>
        from.Exec(TimeSpan.FromSeconds(20), "ping", "-6", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-W", "2", address).Succeeded;

    /// <summary>
    /// The kernels resolve next hops (the underlay gateways, the containers' SIR addresses on their veths) on
    /// the data plane's first misses, which are dropped as no-neighbour: ping until every pair answers.
    /// </summary>
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

    [RootFact]
    public void Ping6CrossesHostsBySirAddressInBothDirectionsAndTheUnderlayCarriesIlaAddresses() => Ping6Scenario();

    /// <summary>Containers with a /64 and no route: every neighbour they solicit in the SIR prefix is answered by xdpnet.</summary>
    [RootFact]
    public void Ping6CrossesHostsWithOnLinkContainersAnsweredByTheNeighbourProxy()
    {
        _onLink = true;
        Ping6Scenario();
        Assert.True(Proxied(T[1]), "c1's neighbour entry for c3 was not made by a proxy answer");
    }

    private void Ping6Scenario()
    {
        StartBoth();
        ResolveNeighbours((1, 3), (3, 1));
        var upTx = Counter(T.A, _dirA, T.UplinkA, "tx_packets");

        // Echo requests and replies on the underlay, bounded in count and time.
        using var capture = Capture.Start(T.Underlay, T.Bridge, 12, "icmp6 and (ip6[40] == 128 or ip6[40] == 129)");
        Assert.True(Ping(T[1].Ns, IlaTopology.SirAddress(3)), Outputs);
        Assert.True(Ping(T[3].Ns, IlaTopology.SirAddress(1)), Outputs);
        var lines = capture.Finish();

        Assert.True(Counter(T.A, _dirA, T.UplinkA, "tx_packets") - upTx >= 6, "A's xdpnet did not send the echoes on its uplink");
        Assert.True(lines.Count == 12, $"expected 12 echo packets on the underlay:\n{string.Join('\n', lines)}");
        foreach (var line in lines)
        {
            // "IP6 2001:db8:5151::1:0:0:1 > 2001:db8:b::1001:0:0:4148: ICMP6, echo request, ..."
            var (src, dst) = Capture.Addresses(line);
            Assert.True(Upper64(src) == Upper64("2001:db8:5151::"), $"source {src} is not a SIR address: only the destination is rewritten");
            // From c1 (on A) everything goes to B's locator, from c3 (on B) to A's: never to a SIR address.
            var locator = System.Net.IPAddress.Parse(src).Equals(System.Net.IPAddress.Parse(IlaTopology.SirAddress(1))) ? IlaTopology.LocatorB : IlaTopology.LocatorA;
            Assert.True(Upper64(dst) == Upper64(locator), $"underlay destination {dst} is not in {locator}/64: {line}");
        }
        StopBoth();
    }

    private static ulong Upper64(string address) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(System.Net.IPAddress.Parse(address).GetAddressBytes());

    [RootFact]
    public void Iperf3TcpCrossesHostsInBothDirections() => Iperf3Scenario();

    [RootFact]
    public void Iperf3TcpCrossesHostsWithOnLinkContainers()
    {
        _onLink = true;
        Iperf3Scenario();
    }

    private void Iperf3Scenario()
    {
        StartBoth();
        ResolveNeighbours((1, 3), (4, 2));
        Assert.True(Iperf3(1, 3) > 1_000_000, Outputs);
        Assert.True(Iperf3(4, 2) > 1_000_000, Outputs);
        Assert.True(Counter(T.B, _dirB, T.UplinkB, "rx_packets") > 1000, "the TCP flows did not cross B's uplink through xdpnet");
        StopBoth();
    }

    private double Iperf3(int from, int to)
    {
        var server = BackgroundProcess.StartBackground(T[to].Ns, "iperf3", "-s", "-1", "-B", IlaTopology.SirAddress(to));
        try
        {
            Thread.Sleep(500);
            var client = T[from].Ns.Exec(TimeSpan.FromSeconds(30), "iperf3", "-c", IlaTopology.SirAddress(to), "-t", "2", "-J");
            Assert.True(client.Succeeded, client + Outputs);
            using var doc = JsonDocument.Parse(client.StdOut);
            return doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetDouble();
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
    }

    [RootFact]
    public void MovingAnIdentifierToTheOtherHostKeepsItsSirAddressReachableAfterALiveReload() => MoveScenario();

    [RootFact]
    public void MovingAnIdentifierWithOnLinkContainersKeepsItsSirAddressReachable()
    {
        _onLink = true;
        MoveScenario();
    }

    private void MoveScenario()
    {
        T.AddSlot('a'); // where c3 will run on A: its veth exists before xdpnet starts
        StartBoth();
        ResolveNeighbours((2, 3), (4, 3));

        // c3 moves from B to A: A loses the mapping and gains a local route, B maps 1:0:0:3 to A's locator and
        // loses its route. Both data planes reload their files live (SIGHUP), no restart.
        var moved = T.Move(3, 'a');
        T.WriteConfig('a', _dirA);
        T.WriteConfig('b', _dirB);
        Signal(_xa!, "HUP");
        Signal(_xb!, "HUP");
        WaitFor(_xa!, "reload: applied");
        WaitFor(_xb!, "reload: applied");
        Assert.DoesNotContain("reload refused", Outputs, StringComparison.Ordinal);

        ResolveNeighbours((2, 3), (4, 3), (3, 4));
        var deliveredBefore = Counter(T.A, _dirA, moved.HostSide, "tx_packets");
        Assert.True(Ping(T[2].Ns, IlaTopology.SirAddress(3)), Outputs); // now on the same host as c2
        Assert.True(Ping(T[4].Ns, IlaTopology.SirAddress(3)), Outputs); // across the underlay to A's locator
        Assert.True(Counter(T.A, _dirA, moved.HostSide, "tx_packets") - deliveredBefore >= 6, "the echoes did not reach c3 on host A");
        StopBoth();
    }

    private static void Signal(XdpNetProcess x, string signal) =>
        Command.RunChecked("kill", "-" + signal, x.Pid.ToString(CultureInfo.InvariantCulture));

    private void WaitFor(XdpNetProcess x, string text)
    {
        for (var i = 0; i < 100 && !x.Output.Contains(text, StringComparison.Ordinal); i++) Thread.Sleep(100);
        Assert.True(x.Output.Contains(text, StringComparison.Ordinal), $"no '{text}':\n{Outputs}");
    }

    /// <summary>
    /// Whether the container's neighbour entry for c3's SIR address holds the MAC of its own veth's host end: only
    /// a proxy answer puts it there (c3 is on another host).
    /// </summary>
    private bool Proxied(IlaTopology.Container c)
    {
        var entry = c.Ns.ExecChecked("ip", "-6", "neigh", "show", IlaTopology.SirAddress(3), "dev", c.Inside).StdOut;
        var link = T.Host(c.Host).ExecChecked("ip", "link", "show", "dev", c.HostSide).StdOut;
        var at = link.IndexOf("link/ether ", StringComparison.Ordinal);
        Assert.True(at >= 0, link);
        var hostMac = link.Substring(at + "link/ether ".Length, 17);
        return entry.Contains("lladdr " + hostMac, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _xa?.Dispose();
        _xb?.Dispose();
        _topology?.Dispose();
        Directory.Delete(_dirA, recursive: true);
        Directory.Delete(_dirB, recursive: true);
    }

    /// <summary>tcpdump in a namespace, stopping after a packet count or 15 s, whichever comes first.</summary>
    private sealed class Capture : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];
        private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Capture(Process process) => _process = process;

        public static Capture Start(NetNs ns, string iface, int count, string filter)
        {
            var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "netns", "exec", ns.Name, "timeout", "15", "tcpdump", "-n", "-l", "-i", iface, "-c", count.ToString(CultureInfo.InvariantCulture), filter })
                info.ArgumentList.Add(a);
            var c = new Capture(Process.Start(info) ?? throw new InvalidOperationException("could not start tcpdump"));
            c._process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (c._lines) c._lines.Add(e.Data);
            };
            c._process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true) c._listening.TrySetResult();
            };
            c._process.BeginOutputReadLine();
            c._process.BeginErrorReadLine();
            if (!c._listening.Task.Wait(TimeSpan.FromSeconds(10))) throw new InvalidOperationException("tcpdump did not start");
            return c;
        }

        public List<string> Finish()
        {
            _process.WaitForExit(TimeSpan.FromSeconds(20));
            _process.WaitForExit();
            lock (_lines) return [.. _lines];
        }

        public static (string Source, string Destination) Addresses(string line)
        {
            var parts = line.Split(' ');
            var at = Array.IndexOf(parts, "IP6");
            if (at < 0 || parts.Length < at + 4) throw new FormatException($"not a tcpdump IPv6 line: {line}");
            return (parts[at + 1], parts[at + 3].TrimEnd(':'));
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}
