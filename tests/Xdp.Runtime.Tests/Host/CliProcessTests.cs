using System.Diagnostics;
using Xdp.Runtime.Tests.Support;
using XdpNet.Replay;

namespace Xdp.Runtime.Tests.Host;

/// <summary>The built <c>xdpnet</c> run as a process: exit codes and messages a user and scripts see.</summary>
public class CliProcessTests
{
    private static readonly string XdpNetDll = Path.Combine(Path.GetDirectoryName(typeof(XdpNet.Cli.XdpNetCommand).Assembly.Location)!, "xdpnet.dll");

    private static (int Exit, string Out, string Err) Xdpnet(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(XdpNetDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "xdpnet did not exit");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private const string BadBind = """
        { "Node": { "Name": "cli" }, "Interfaces": [ { "Name": "xcl0", "Mac": "02:00:00:00:01:02", "Bind": "fastest" } ] }
        """;

    [Fact]
    public void ValidateAcceptsTheExample()
    {
        var (exit, stdout, stderr) = Xdpnet(null, "validate", "--config", RepoPaths.Example("router-replay.json"));
        Assert.True(exit == 0, stderr);
        Assert.Equal("OK", stdout.Trim());
    }

    [Fact]
    public void ValidateRefusesABadConfigNamingTheKey()
    {
        using var dir = new TempDir();
        var (exit, _, stderr) = Xdpnet(null, "validate", "--config", dir.Write("bad.json", BadBind));
        Assert.Equal(2, exit);
        Assert.Contains("config error: Interfaces:0:Bind:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void CommandLineAndEnvironmentOverridesReachValidation()
    {
        var example = RepoPaths.Example("router-replay.json");
        var (exit, _, stderr) = Xdpnet(null, "validate", "--config", example, "--Umem:Frames=1000");
        Assert.Equal(2, exit);
        Assert.Contains("config error: Umem:Frames:", stderr, StringComparison.Ordinal);

        (exit, _, stderr) = Xdpnet(new Dictionary<string, string> { ["XDPNET_Routes__1__NextHopMac"] = "zz" }, "validate", "--config", example);
        Assert.Equal(2, exit);
        Assert.Contains("config error: Routes:1:NextHopMac:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void RunRefusesABadConfigBeforeAttachingAnything()
    {
        using var dir = new TempDir();
        var (exit, _, stderr) = Xdpnet(null, "run", "--config", dir.Write("bad.json", BadBind));
        Assert.Equal(2, exit);
        Assert.Contains("config error: Interfaces:0:Bind:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayRefusesABadConfigAndAMalformedPcapWithoutStackTrace()
    {
        using var dir = new TempDir();
        var pcap = dir.File("in.pcap");
        File.WriteAllBytes(pcap, [0x0A, 0x0D, 0x0D, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);

        var (exit, _, stderr) = Xdpnet(null, "replay", "--config", dir.Write("bad.json", BadBind), "--in", pcap, "--ingress", "xcl0", "--out-dir", dir.File("out"));
        Assert.Equal(2, exit);
        Assert.Contains("config error: Interfaces:0:Bind:", stderr, StringComparison.Ordinal);

        (exit, _, stderr) = Xdpnet(null, "replay", "--config", RepoPaths.Example("router-replay.json"), "--in", pcap, "--ingress", "dut0", "--out-dir", dir.File("out"));
        Assert.Equal(2, exit);
        Assert.Contains("malformed pcap", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayForwardsTheExampleTopology()
    {
        using var dir = new TempDir();
        var pcap = dir.File("in.pcap");
        using (var writer = PcapWriter.Create(pcap))
        {
            // | eth gen0 -> dut0 | 198.18.1.1 -> 198.18.2.2 | UDP 4000 -> 5000 |
            writer.Write(1_000_000UL, PacketBuilder.Ethernet("02:00:00:00:01:02", "02:00:00:00:01:01").Ipv4("198.18.1.1", "198.18.2.2").Udp(4000, 5000, [9, 9]).Build());
        }

        var (exit, stdout, stderr) = Xdpnet(null, "replay", "--config", RepoPaths.Example("router-replay.json"), "--in", pcap, "--ingress", "dut0", "--out-dir", dir.File("out"));

        Assert.True(exit == 0, stderr);
        Assert.Contains("tx 1", stdout, StringComparison.Ordinal);
        var line = Assert.Single(File.ReadAllLines(Path.Combine(dir.File("out"), "verdicts.jsonl")));
        Assert.Equal("""{"index":0,"ingress":"dut0","verdict":"tx","egress":"dut1","reason":null}""", line);
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "dut1.pcap")));
    }
}
