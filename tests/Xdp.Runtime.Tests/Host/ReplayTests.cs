using System.Buffers.Binary;
using System.Text.Json;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Tests.Support;
using XdpNet.Replay;

namespace Xdp.Runtime.Tests.Host;

public class ReplayTests
{
    // Lab topology (/work/shared/lab): gen0 (02:..:01:01) == dut0 (02:..:01:02) [dut] dut1 (02:..:02:01) == sink0 (02:..:02:02)
    private const string Gen0 = "02:00:00:00:01:01";
    private const string Dut0 = "02:00:00:00:01:02";
    private const string Dut1 = "02:00:00:00:02:01";
    private const string Sink0 = "02:00:00:00:02:02";

    /// <summary>The router with every IP packet owned on dut0 (so no-route is reachable) and a route with no known neighbour.</summary>
    private const string Config = """
        {
          "Node": { "Name": "replay-test" },
          "Interfaces": [
            { "Name": "xrt-dut0", "Mac": "02:00:00:00:01:02", "Steering": { "Mode": "rules", "Ethertypes": [ "0x0800", "0x86dd" ] } },
            { "Name": "xrt-dut1", "Mac": "02:00:00:00:02:01" }
          ],
          "Umem": { "FrameSize": 2048, "Frames": 16384, "Headroom": 256 },
          "Routes": [
            { "Prefix": "198.18.1.0/24", "Interface": "xrt-dut0", "NextHopMac": "02:00:00:00:01:01" },
            { "Prefix": "198.18.2.0/24", "Interface": "xrt-dut1", "NextHopMac": "02:00:00:00:02:02" },
            { "Prefix": "2001:db8:2::/64", "Interface": "xrt-dut1", "NextHopMac": "02:00:00:00:02:02" },
            { "Prefix": "198.18.4.0/24", "Interface": "xrt-dut1" }
          ]
        }
        """;

    private static readonly byte[] Payload = [1, 2, 3, 4, 5, 6, 7, 8];
    private const ulong T0 = 1_700_000_000_000_000_000UL;

    private static byte[] V4(string destination, byte ttl = 64) =>
        PacketBuilder.Ethernet(Dut0, Gen0).Ipv4("198.18.1.1", destination, ttl).Udp(4000, 5000, Payload).Build();

    private static byte[] V6(string destination, byte hopLimit = 64) =>
        PacketBuilder.Ethernet(Dut0, Gen0).Ipv6("2001:db8:1::1", destination, hopLimit).Udp(4000, 5000, Payload).Build();

    private static byte[] BadChecksum()
    {
        var bytes = V4("198.18.2.2");
        bytes[14 + 10] ^= 0xFF; // | eth | IPv4 header checksum corrupted |
        return bytes;
    }

    private static byte[] TotalLengthBeyondFrame()
    {
        var bytes = V4("198.18.2.2");
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14 + 2), 1000); // | eth | IPv4 total length 1000 in a 50-byte frame |
        return bytes;
    }

    private static byte[] Arp() =>
        PacketBuilder.Ethernet("ff:ff:ff:ff:ff:ff", Gen0).EtherTypePayload(0x0806, new byte[28]).Build();

    private static string WriteInput(TempDir dir, params byte[][] frames)
    {
        var path = dir.File("in.pcap");
        using var writer = PcapWriter.Create(path, nanosecond: true);
        for (var i = 0; i < frames.Length; i++) writer.Write(T0 + (ulong)i * 1_000_001UL, frames[i]);
        return path;
    }

    private static (int Exit, string Out, string Err) Replay(TempDir dir, string input, string ingress = "xrt-dut0", string? config = null)
    {
        var configPath = dir.Write("host.json", config ?? Config);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = ReplaySession.Run(configPath, [], input, ingress, dir.File("out"), output, error, new Dictionary<string, string?>());
        return (exit, output.ToString(), error.ToString());
    }

    private static JsonElement[] Verdicts(TempDir dir) =>
        File.ReadAllLines(Path.Combine(dir.File("out"), "verdicts.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();

    private static PcapPacket[] Output(TempDir dir, string egress)
    {
        using var reader = new PcapReader(File.OpenRead(Path.Combine(dir.File("out"), egress + ".pcap")));
        Assert.True(reader.Nanosecond);
        return reader.ReadAll().ToArray();
    }

    [Fact]
    public void ForwardsDropsAndPassesLikeTheLiveHost()
    {
        using var dir = new TempDir();
        var input = WriteInput(dir,
            V4("198.18.2.2"),            // 0 | eth | 198.18.1.1 -> 198.18.2.2 TTL 64 | UDP |  -> tx xrt-dut1
            V6("2001:db8:2::2"),         // 1 | eth | 2001:db8:1::1 -> 2001:db8:2::2 hop 64 | UDP | -> tx xrt-dut1
            V4("198.18.3.1"),            // 2 no route
            V4("198.18.2.2", ttl: 1),    // 3 TTL exceeded
            BadChecksum(),               // 4 bad IPv4 header
            TotalLengthBeyondFrame(),    // 5 total length impossible
            Arp(),                       // 6 not owned: the kernel's
            V4("198.18.4.9"));           // 7 route without a known neighbour

        var (exit, stdout, stderr) = Replay(dir, input);

        Assert.True(exit == 0, stderr);
        Assert.Contains("replayed 8 packets", stdout, StringComparison.Ordinal);
        var verdicts = Verdicts(dir);
        Assert.Equal(8, verdicts.Length);
        static string Line(JsonElement v) =>
            $"{v.GetProperty("verdict").GetString()} {v.GetProperty("egress").GetString() ?? "null"} {v.GetProperty("reason").GetString() ?? "null"}";
        Assert.Equal("tx xrt-dut1 null", Line(verdicts[0]));
        Assert.Equal("tx xrt-dut1 null", Line(verdicts[1]));
        Assert.Equal("drop null no-route", Line(verdicts[2]));
        Assert.Equal("drop null ttl-exceeded", Line(verdicts[3]));
        Assert.Equal($"drop null {DropReasons.Name(DropReason.BadIpv4Header)}", Line(verdicts[4]));
        Assert.Equal($"drop null {DropReasons.Name(DropReason.BadIpv4Header)}", Line(verdicts[5]));
        Assert.Equal("pass null null", Line(verdicts[6]));
        Assert.Equal("drop null no-neighbour", Line(verdicts[7]));
        for (var i = 0; i < verdicts.Length; i++)
        {
            Assert.Equal(i, verdicts[i].GetProperty("index").GetInt32());
            Assert.Equal("xrt-dut0", verdicts[i].GetProperty("ingress").GetString());
        }

        // | eth sink0 <- dut1 | TTL 63, header checksum recomputed | UDP unchanged |
        var sent = Output(dir, "xrt-dut1");
        Assert.Equal(2, sent.Length);
        Assert.Equal(PacketBuilder.Ethernet(Sink0, Dut1).Ipv4("198.18.1.1", "198.18.2.2", 63).Udp(4000, 5000, Payload).Build(), sent[0].Data);
        Assert.Equal(0xFFFF, OnesComplementSum(sent[0].Data.AsSpan(14, 20)));
        Assert.Equal(PacketBuilder.Ethernet(Sink0, Dut1).Ipv6("2001:db8:1::1", "2001:db8:2::2", 63).Udp(4000, 5000, Payload).Build(), sent[1].Data);
        Assert.Equal(T0, sent[0].TimestampNanoseconds);
        Assert.Equal(T0 + 1_000_001UL, sent[1].TimestampNanoseconds);
        Assert.False(File.Exists(Path.Combine(dir.File("out"), "xrt-dut0.pcap")));
    }

    [Fact]
    public void TruncatedFramesOwnedByModeAllAreDroppedAsMalformed()
    {
        using var dir = new TempDir();
        var config = Config.Replace("""
            "Steering": { "Mode": "rules", "Ethertypes": [ "0x0800", "0x86dd" ] }
            """.Trim(), """
            "Steering": { "Mode": "all" }
            """.Trim(), StringComparison.Ordinal);
        var v4 = V4("198.18.2.2");
        var input = WriteInput(dir,
            v4[..10],        // | 10 bytes: not even an Ethernet header |
            v4[..(14 + 12)], // | eth | 12 of the 20 bytes of an IPv4 header |
            v4);

        var (exit, _, stderr) = Replay(dir, input, config: config);

        Assert.True(exit == 0, stderr);
        var verdicts = Verdicts(dir);
        Assert.Equal("malformed", verdicts[0].GetProperty("reason").GetString());
        Assert.Equal("malformed", verdicts[1].GetProperty("reason").GetString());
        Assert.Equal("tx", verdicts[2].GetProperty("verdict").GetString());
    }

    [Fact]
    public void RoutedSteeringPassesWhatNoRouteCovers()
    {
        using var dir = new TempDir();
        var config = Config.Replace("""
            "Steering": { "Mode": "rules", "Ethertypes": [ "0x0800", "0x86dd" ] }
            """.Trim(), """
            "Steering": { "Mode": "routed" }
            """.Trim(), StringComparison.Ordinal);
        var input = WriteInput(dir, V4("198.18.3.1"), V4("198.18.2.2"));

        var (exit, _, stderr) = Replay(dir, input, config: config);

        Assert.True(exit == 0, stderr);
        var verdicts = Verdicts(dir);
        Assert.Equal("pass", verdicts[0].GetProperty("verdict").GetString());
        Assert.Equal("tx", verdicts[1].GetProperty("verdict").GetString());
    }

    [Fact]
    public void UnknownIngressIsRefused()
    {
        using var dir = new TempDir();
        var (exit, _, stderr) = Replay(dir, WriteInput(dir, V4("198.18.2.2")), ingress: "eth7");
        Assert.Equal(2, exit);
        Assert.Contains("--ingress", stderr, StringComparison.Ordinal);
        Assert.Contains("eth7", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingMacOfAnAbsentInterfaceIsAConfigError()
    {
        using var dir = new TempDir();
        var config = Config.Replace("""{ "Name": "xrt-dut1", "Mac": "02:00:00:00:02:01" }""", """{ "Name": "xrt-dut1" }""", StringComparison.Ordinal);
        var (exit, _, stderr) = Replay(dir, WriteInput(dir, V4("198.18.2.2")), config: config);
        Assert.Equal(2, exit);
        Assert.Contains("config error: Interfaces:1:Mac:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedPcapIsRefusedWithItsOffset()
    {
        using var dir = new TempDir();
        var input = WriteInput(dir, V4("198.18.2.2"), V4("198.18.2.2"));
        var bytes = File.ReadAllBytes(input);
        File.WriteAllBytes(input, bytes[..^5]);

        var (exit, _, stderr) = Replay(dir, input);

        Assert.Equal(2, exit);
        Assert.Contains("malformed pcap", stderr, StringComparison.Ordinal);
        Assert.Contains($"offset {24 + 16 + V4("198.18.2.2").Length}", stderr, StringComparison.Ordinal);
    }

    private static int OnesComplementSum(ReadOnlySpan<byte> bytes)
    {
        var sum = 0;
        for (var i = 0; i < bytes.Length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return sum;
    }
}
