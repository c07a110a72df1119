using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Forwarding;

/// <summary>
/// <c>| gen | -- veth -- | dut: xdpnet run | -- veth -- | sink |</c>: real traffic through the data plane.
/// </summary>
[Collection("netns")]
public sealed class RouterTests : IDisposable
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private readonly RouterTopology _t = RouterTopology.Create();
    private readonly string _dir = Directory.CreateTempSubdirectory("xdpnet-it-").FullName;
    private readonly string _node = "it" + UniqueName.Suffix(6);

    private string StatsSocket => Path.Combine(_dir, "stats.sock");

    private XdpNetProcess StartXdpNet(bool busyPoll = false)
    {
        var config = _t.WriteConfig(_dir, _node, busyPoll: busyPoll);
        var p = XdpNetProcess.Start(_t.Dut, "run", "--config", config);
        p.WaitReady(Startup);
        return p;
    }

    private (long Rx, long Tx) Counters(string iface)
    {
        using var doc = XdpNetProcess.Stats(_t.Dut, StatsSocket);
        foreach (var i in doc.RootElement.GetProperty("interfaces").EnumerateArray())
        {
            if (i.GetProperty("name").GetString() == iface)
                return (i.GetProperty("rx_packets").GetInt64(), i.GetProperty("tx_packets").GetInt64());
        }
        throw new InvalidOperationException($"no interface {iface} in stats");
    }

    private bool Ping(NetNs from, string address, int count = 3) =>
        from.Exec(TimeSpan.FromSeconds(20), "ping", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "0.2", "-W", "2", address).Succeeded;

    /// <summary>
    /// The first packets to a next hop the kernel has not resolved yet are dropped as no-neighbour while the
    /// kernel resolves it; this pings until both families answer.
    /// </summary>
    private void ResolveNeighbours()
    {
        for (var i = 0; i < 20; i++)
        {
            if (Ping(_t.Gen, RouterTopology.SinkV4, 1) && Ping(_t.Gen, RouterTopology.SinkV6, 1)) return;
        }
        Assert.Fail("neighbours were never resolved");
    }

    [RootFact]
    public void PingIpv4AndIpv6CrossTheDataPlaneWithTheKernelNotForwarding()
    {
        using var x = StartXdpNet();
        ResolveNeighbours();
        var (rx0, tx0) = Counters(_t.D0);
        Assert.True(Ping(_t.Gen, RouterTopology.SinkV4), x.Output);
        Assert.True(Ping(_t.Gen, RouterTopology.SinkV6), x.Output);
        var (rx, tx) = Counters(_t.D0);
        Assert.Equal(6, rx - rx0); // 3 echo requests per family entered d0
        Assert.Equal(6, tx - tx0); // and their replies left through it
        Assert.Equal(0, x.Interrupt(TimeSpan.FromSeconds(20)));
        Assert.False(Ping(_t.Gen, RouterTopology.SinkV4, 1)); // the kernel does not forward: it was xdpnet
    }

    private long WorkerAllocatedBytes()
    {
        using var doc = XdpNetProcess.Stats(_t.Dut, StatsSocket);
        return doc.RootElement.GetProperty("worker").GetProperty("allocated_bytes").GetInt64();
    }

    [RootFact]
    public void TheWorkerAllocatesNothingPerPacket()
    {
        using var x = StartXdpNet();
        ResolveNeighbours();
        UdpFlow.Run(_t.Gen, _t.Sink, RouterTopology.SinkV4, 9002, 200); // warm-up: tiering, first-call initialisation
        var before = WorkerAllocatedBytes();
        Assert.Equal(2000, UdpFlow.Run(_t.Gen, _t.Sink, RouterTopology.SinkV4, 9002, 2000));
        Assert.Equal(200, UdpFlow.Run(_t.Gen, _t.Sink, RouterTopology.SinkV6, 9003, 200));
        Assert.Equal(before, WorkerAllocatedBytes());
    }

    /// <remarks>Also runs the sockets with SO_BUSY_POLL / SO_PREFER_BUSY_POLL / SO_BUSY_POLL_BUDGET and XDP_MAX_TX_SKB_BUDGET set.</remarks>
    [RootFact]
    public void UdpFlowCountersEqualWhatWasSent()
    {
        using var x = StartXdpNet(busyPoll: true);
        ResolveNeighbours(); // first, so nothing is dropped as no-neighbour
        var (rx0, _) = Counters(_t.D0);
        var (_, tx1) = Counters(_t.D1);
        const int sent = 500;
        var received = UdpFlow.Run(_t.Gen, _t.Sink, RouterTopology.SinkV4, 9000, sent);
        Thread.Sleep(200);
        var (rx0After, _) = Counters(_t.D0);
        var (_, tx1After) = Counters(_t.D1);
        Assert.Equal(sent, received);
        Assert.Equal(sent, rx0After - rx0);
        Assert.Equal(sent, tx1After - tx1);

        var received6 = UdpFlow.Run(_t.Gen, _t.Sink, RouterTopology.SinkV6, 9001, 200, payload: 1200);
        Assert.Equal(200, received6);
    }

    [RootFact]
    public void TcpFlowWithIperf3CrossesTheDataPlane()
    {
        using var x = StartXdpNet();
        ResolveNeighbours();
        var server = BackgroundProcess.StartBackground(_t.Sink, "iperf3", "-s", "-1", "-B", RouterTopology.SinkV4);
        try
        {
            Thread.Sleep(500);
            var client = _t.Gen.Exec(TimeSpan.FromSeconds(30), "iperf3", "-c", RouterTopology.SinkV4, "-t", "3", "-J");
            Assert.True(client.Succeeded, client.ToString());
            using var doc = JsonDocument.Parse(client.StdOut);
            var bytes = doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetDouble();
            Assert.True(bytes > 1_000_000, $"only {bytes} bytes received");
            var (rx, _) = Counters(_t.D0);
            Assert.True(rx > 1000, $"d0 received only {rx} packets: the TCP flow did not cross xdpnet");
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
    }

    [RootFact]
    public void TrafficToTheHostItselfStillReachesTheKernel()
    {
        using var x = StartXdpNet();
        var before = PassedToKernel(_t.D0);
        // xdpnet cannot answer an echo request: a reply proves the kernel got it.
        Assert.True(Ping(_t.Gen, RouterTopology.DutV4In));
        Assert.True(Ping(_t.Gen, RouterTopology.DutV6In));
        // 3 + 3 echo requests (plus ARP) went through the steering program's kernel path, not into the data plane.
        Assert.True(PassedToKernel(_t.D0) - before >= 6, x.Output);
    }

    private ulong PassedToKernel(string iface)
    {
        using var doc = XdpNetProcess.Stats(_t.Dut, StatsSocket);
        foreach (var i in doc.RootElement.GetProperty("interfaces").EnumerateArray())
        {
            if (i.GetProperty("name").GetString() == iface) return i.GetProperty("steering").GetProperty("passed_not_owned").GetUInt64();
        }
        throw new InvalidOperationException($"no interface {iface} in stats");
    }

    [RootFact]
    public void KillingTheProcessMidFlowLeavesTheKernelPathWorkingAndARestartAttachesCleanly()
    {
        var x = StartXdpNet();
        var flood = BackgroundProcess.StartBackground(_t.Gen, "ping", "-i", "0.01", "-c", "1000", RouterTopology.SinkV4);
        Thread.Sleep(500);
        x.Kill();
        x.Dispose();
        flood.Kill(entireProcessTree: true);

        // The BPF link died with the process: everything goes to the kernel again.
        Assert.True(Ping(_t.Gen, RouterTopology.DutV4In));
        _t.Dut.ExecChecked("sysctl", "-qw", "net.ipv4.ip_forward=1");
        Assert.True(Ping(_t.Gen, RouterTopology.SinkV4));
        _t.Dut.ExecChecked("sysctl", "-qw", "net.ipv4.ip_forward=0");
        Assert.DoesNotContain("prog/xdp", _t.Dut.ExecChecked("ip", "link", "show", "dev", _t.D0).StdOut, StringComparison.Ordinal);

        using var again = StartXdpNet();
        ResolveNeighbours();
    }

    [RootFact]
    public void ALiveReloadAppliesNewRoutesAndABadFileKeepsTheRunningConfiguration()
    {
        var config = _t.WriteConfig(_dir, _node);
        var full = File.ReadAllText(config);
        // Start without the IPv6 route towards the sink: xdpnet does not own that traffic and the dut's kernel does not forward.
        File.WriteAllText(config, full.Replace("\"2001:db8:2::/64\"", "\"2001:db8:77::/64\"", StringComparison.Ordinal));
        using var x = XdpNetProcess.Start(_t.Dut, "run", "--config", config);
        x.WaitReady(Startup);
        ResolveV4();
        Assert.False(Ping(_t.Gen, RouterTopology.SinkV6, 2));

        File.WriteAllText(config, full);
        Signal(x, "HUP");
        WaitFor(x, "reload: applied");
        ResolveNeighbours();
        Assert.True(Ping(_t.Gen, RouterTopology.SinkV6), x.Output);

        // A broken file: refused with the key named, and the running tables keep forwarding.
        File.WriteAllText(config, full.Replace("\"2001:db8:2::/64\"", "\"2001:db8:2::1/64\"", StringComparison.Ordinal));
        Signal(x, "HUP");
        WaitFor(x, "reload refused: Routes:3:Prefix");
        Assert.True(Ping(_t.Gen, RouterTopology.SinkV6), x.Output);

        // A setting that cannot change live is reported, and the rest of the file still applies.
        File.WriteAllText(config, full.Replace("\"Frames\": 4096", "\"Frames\": 8192", StringComparison.Ordinal));
        Signal(x, "HUP");
        WaitFor(x, "reload: Umem changed; it takes effect after a restart");
        Assert.True(Ping(_t.Gen, RouterTopology.SinkV4), x.Output);
    }

    private void ResolveV4()
    {
        for (var i = 0; i < 20 && !Ping(_t.Gen, RouterTopology.SinkV4, 1); i++)
        {
        }
    }

    private static void Signal(XdpNetProcess x, string signal) =>
        Command.RunChecked("kill", "-" + signal, x.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static void WaitFor(XdpNetProcess x, string text)
    {
        for (var i = 0; i < 100 && !x.Output.Contains(text, StringComparison.Ordinal); i++) Thread.Sleep(100);
        Assert.Contains(text, x.Output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _t.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>Background processes for a test (servers, floods), killed by the test.</summary>
internal static class BackgroundProcess
{
    public static System.Diagnostics.Process StartBackground(NetNs ns, string file, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", ns.Name, file }.Concat(args)) info.ArgumentList.Add(a);
        var p = System.Diagnostics.Process.Start(info)!;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }
}
