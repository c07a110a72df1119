using System.Text.Json;
using XdpNet.Stats;

namespace Xdp.Runtime.Tests.Host;

public class StatsServerTests
{
    private static StatsSnapshot Sample(long rxPackets, DateTimeOffset at) => new()
    {
        Node = "dut",
        Timestamp = at,
        UptimeSeconds = 3723,
        Interfaces =
        [
            new InterfaceStats
            {
                Name = "dut0", Ifindex = 7, Queue = 0, BindMode = "copy", AttachMode = "native",
                RxPackets = rxPackets, RxBytes = rxPackets * 64, TxPackets = 5, TxBytes = 320,
                Drops = new() { ["no-route"] = 3 },
                Xdp = new XdpRingStats { RxRingFull = 2, TxRingEmptyDescs = 9 },
                Steering = new SteeringStats { Redirected = 100, PassedNotOwned = 4 },
            },
        ],
        Stages = new() { ["forwarding"] = new() { ["tx"] = 5, ["drop"] = 3 } },
        Worker = new WorkerStats { Cpu = 1, Batches = 42, IdlePolls = 7 },
    };

    private static string SocketPath(TempDir dir) => dir.File("sub/dir/node.sock");

    [Fact]
    public void ClientReceivesTheServersSnapshot()
    {
        using var dir = new TempDir();
        var calls = 0;
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        using var server = new StatsServer(SocketPath(dir), () => Sample(1000 + Interlocked.Increment(ref calls), at));

        var first = StatsClient.Fetch(server.SocketPath);
        var second = StatsClient.Fetch(server.SocketPath);

        Assert.Equal("dut", first.Node);
        Assert.Equal(at, first.Timestamp);
        var itf = Assert.Single(first.Interfaces);
        Assert.Equal(("dut0", 7, "copy", "native"), (itf.Name, itf.Ifindex, itf.BindMode, itf.AttachMode));
        Assert.Equal(3, itf.Drops["no-route"]);
        Assert.Equal(2UL, itf.Xdp.RxRingFull);
        Assert.Equal(100UL, itf.Steering.Redirected);
        Assert.Equal(5, first.Stages["forwarding"]["tx"]);
        Assert.Equal(1, first.Worker.Cpu);
        // One snapshot per connection, taken when the client connects.
        Assert.Equal(1001, itf.RxPackets);
        Assert.Equal(1002, second.Interfaces[0].RxPackets);
    }

    [Fact]
    public void WireFormatIsOneSnakeCaseJsonLine()
    {
        using var dir = new TempDir();
        using var server = new StatsServer(SocketPath(dir), () => Sample(1, DateTimeOffset.UnixEpoch));

        var json = StatsClient.FetchJson(server.SocketPath);

        Assert.DoesNotContain('\n', json);
        using var doc = JsonDocument.Parse(json);
        var itf = doc.RootElement.GetProperty("interfaces")[0];
        Assert.Equal(9, itf.GetProperty("xdp").GetProperty("tx_ring_empty_descs").GetInt32());
        Assert.Equal(4, itf.GetProperty("steering").GetProperty("passed_not_owned").GetInt32());
        Assert.Equal(1, itf.GetProperty("rx_packets").GetInt32());
        Assert.Equal(3723, doc.RootElement.GetProperty("uptime_seconds").GetDouble());
    }

    [Fact]
    public void DisposeRemovesTheSocketFile()
    {
        using var dir = new TempDir();
        var path = SocketPath(dir);
        var server = new StatsServer(path, () => Sample(1, DateTimeOffset.UnixEpoch));
        Assert.True(File.Exists(path));

        server.Dispose();

        Assert.False(File.Exists(path));
        Assert.Throws<IOException>(() => StatsClient.Fetch(path));
    }

    [Fact]
    public void StaleSocketFileIsReplaced()
    {
        using var dir = new TempDir();
        var path = SocketPath(dir);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // A socket file nobody listens on any more, as a crashed instance leaves it. (.NET removes the file when
        // a bound socket is disposed, so another process binds it and exits.)
        using (var python = System.Diagnostics.Process.Start("python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path]))
        {
            python.WaitForExit();
        }
        Assert.True(File.Exists(path));

        using var server = new StatsServer(path, () => Sample(7, DateTimeOffset.UnixEpoch));

        Assert.Equal(7, StatsClient.Fetch(path).Interfaces[0].RxPackets);
    }

    [Fact]
    public void SecondServerOnALiveSocketIsRefused()
    {
        using var dir = new TempDir();
        var path = SocketPath(dir);
        using var first = new StatsServer(path, () => Sample(1, DateTimeOffset.UnixEpoch));

        Assert.Throws<IOException>(() => new StatsServer(path, () => Sample(2, DateTimeOffset.UnixEpoch)));
        Assert.Equal(1, StatsClient.Fetch(path).Interfaces[0].RxPackets);
    }

    [Fact]
    public void FailingSnapshotIsReportedToTheClientAndServerKeepsServing()
    {
        using var dir = new TempDir();
        var fail = true;
        using var server = new StatsServer(SocketPath(dir), () => fail ? throw new InvalidOperationException("counters not ready") : Sample(3, DateTimeOffset.UnixEpoch));

        var error = Assert.Throws<IOException>(() => StatsClient.Fetch(server.SocketPath));
        Assert.Contains("counters not ready", error.Message, StringComparison.Ordinal);
        fail = false;
        Assert.Equal(3, StatsClient.Fetch(server.SocketPath).Interfaces[0].RxPackets);
    }

    [Fact]
    public void ChooseSocketPrefersExplicitPathThenNodeThenTheOnlySocket()
    {
        using var dir = new TempDir();
        Assert.Equal("/x.sock", StatsClient.ChooseSocket("/x.sock", "n", out _, dir.Path));
        Assert.Equal(Path.Combine(dir.Path, "n.sock"), StatsClient.ChooseSocket(null, "n", out _, dir.Path));
        Assert.Null(StatsClient.ChooseSocket(null, null, out var none, dir.Path));
        Assert.Contains("no xdpnet instance", none, StringComparison.Ordinal);

        File.WriteAllText(dir.File("a.sock"), "");
        Assert.Equal(dir.File("a.sock"), StatsClient.ChooseSocket(null, null, out _, dir.Path));
        File.WriteAllText(dir.File("b.sock"), "");
        Assert.Null(StatsClient.ChooseSocket(null, null, out var several, dir.Path));
        Assert.Contains("--node", several, StringComparison.Ordinal);
    }

    [Fact]
    public void TableShowsRatesFromThePreviousSnapshotAndNamedDrops()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var text = StatsTableRenderer.Render(Sample(3000, t0.AddSeconds(2)), Sample(1000, t0));

        Assert.Contains("dut0", text, StringComparison.Ordinal);
        Assert.Contains("1,000", text, StringComparison.Ordinal); // (3000 - 1000) / 2 s
        Assert.Contains("no-route 3", text, StringComparison.Ordinal);
        Assert.Contains("rx_ring_full 2", text, StringComparison.Ordinal);
        Assert.Contains("redirected 100", text, StringComparison.Ordinal);
        Assert.Contains("forwarding", text, StringComparison.Ordinal);
        Assert.Contains("1h02m03s", text, StringComparison.Ordinal);
    }
}
