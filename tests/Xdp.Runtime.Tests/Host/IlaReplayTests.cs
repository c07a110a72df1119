using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;
using XdpNet.Replay;

namespace Xdp.Runtime.Tests.Host;

/// <summary>
/// ILA through <c>xdpnet replay</c>, two hosts of one domain (SIR 2001:db8:5151::/64): host A (locator
/// 2001:db8:a::) runs container c1 (identifier 1:0:0:1), host B (locator 2001:db8:b::) runs c2 (1:0:0:2).
/// Expected frames are built independently with the packet builder, so equality also proves every transport
/// checksum is right after translation.
/// </summary>
public class IlaReplayTests
{
    internal const string C1 = "2001:db8:5151::1:0:0:1", C2 = "2001:db8:5151::1:0:0:2";
    internal const string C1Mac = "02:00:00:00:c1:01", AC1 = "02:00:00:00:0a:c1", AUp = "02:00:00:00:0a:01";
    internal const string C2Mac = "02:00:00:00:c2:01", BC2 = "02:00:00:00:0b:c2", BUp = "02:00:00:00:0b:01";
    // Neutral mapping (C-bit set, low 16 bits adjusted so the address's one's-complement sum is unchanged), worked by hand:
    // 2001:db8:5151::1:0:0:2 sums to 0x7f0d; 2001:db8:b::1001:0:0:0 to 0x3dc5; 0x7f0d - 0x3dc5 = 0x4148.
    private const string C2IlaNeutral = "2001:db8:b::1001:0:0:4148";
    private const string C1IlaNeutral = "2001:db8:a::1001:0:0:4148";
    private static readonly byte[] Payload = "ila says hello"u8.ToArray();

    /// <summary>Host <paramref name="host"/> ('a' or 'b') of the two-host domain, in checksum mode <paramref name="mode"/>.</summary>
    internal static string HostConfig(char host, string mode) => host == 'a'
        ? $$"""
          {
            "Node": { "Name": "ila-a" },
            "Interfaces": [ { "Name": "ila-a-c1", "Mac": "{{AC1}}" }, { "Name": "ila-a-up", "Role": "uplink", "Mac": "{{AUp}}" } ],
            "Routes": [
              { "Prefix": "{{C1}}/128", "Interface": "ila-a-c1", "NextHopMac": "{{C1Mac}}" },
              { "Prefix": "2001:db8:b::/64", "Interface": "ila-a-up", "NextHopMac": "{{BUp}}" }
            ],
            "Ila": { "Domains": [ { "SirPrefix": "2001:db8:5151::/64", "Locator": "2001:db8:a::/64", "ChecksumMode": "{{mode}}",
                                    "Mappings": [ { "Identifier": "1:0:0:2", "Locator": "2001:db8:b::" } ] } ] }
          }
          """
        : $$"""
          {
            "Node": { "Name": "ila-b" },
            "Interfaces": [ { "Name": "ila-b-c2", "Mac": "{{BC2}}" }, { "Name": "ila-b-up", "Role": "uplink", "Mac": "{{BUp}}" } ],
            "Routes": [
              { "Prefix": "{{C2}}/128", "Interface": "ila-b-c2", "NextHopMac": "{{C2Mac}}" },
              { "Prefix": "2001:db8:a::/64", "Interface": "ila-b-up", "NextHopMac": "{{AUp}}" }
            ],
            "Ila": { "Domains": [ { "SirPrefix": "2001:db8:5151::/64", "Locator": "2001:db8:b::/64", "ChecksumMode": "{{mode}}",
                                    "Mappings": [ { "Identifier": "1:0:0:1", "Locator": "2001:db8:a::" } ] } ] }
          }
          """;

    public enum Transport { Tcp, Udp, UdpZeroChecksum, Icmpv6 }

    private static byte[] Frame(string dstMac, string srcMac, string src, string dst, byte hopLimit, Transport transport)
    {
        var ip = PacketBuilder.Ethernet(dstMac, srcMac).Ipv6(src, dst, hopLimit);
        var frame = transport switch
        {
            Transport.Tcp => ip.Tcp(40000, 80, TcpHeader.Flag.Syn, sequence: 1000, payload: Payload).Build(),
            Transport.Icmpv6 => ip.Icmpv6Echo(7, 1, Payload).Build(),
            _ => ip.Udp(40000, 53, Payload).Build(),
        };
        if (transport == Transport.UdpZeroChecksum)
        {
            frame[14 + 40 + 6] = 0; // | eth | IPv6 | UDP checksum 0 |: invalid over IPv6, but translation must leave it alone
            frame[14 + 40 + 7] = 0;
        }
        return frame;
    }

    private static PcapPacket[] Replay(TempDir dir, char host, string mode, string ingress, byte[] frame)
    {
        var input = dir.File($"in-{host}.pcap");
        using (var writer = PcapWriter.Create(input, nanosecond: true)) writer.Write(1_700_000_000_000_000_000UL, frame);
        var config = dir.Write($"host-{host}.json", HostConfig(host, mode));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var outDir = dir.File($"out-{host}");
        Assert.Equal(0, ReplaySession.Run(config, [], input, ingress, outDir, output, error, new Dictionary<string, string?>()));
        var egress = host == 'a' ? (ingress == "ila-a-c1" ? "ila-a-up" : "ila-a-c1") : (ingress == "ila-b-c2" ? "ila-b-up" : "ila-b-c2");
        var path = Path.Combine(outDir, egress + ".pcap");
        Assert.True(File.Exists(path), $"nothing transmitted on {egress}: {File.ReadAllText(Path.Combine(outDir, "verdicts.jsonl"))}");
        using var reader = new PcapReader(File.OpenRead(path));
        return reader.ReadAll().ToArray();
    }

    /// <summary>Modes after which every transport checksum is valid, with c2's address on the wire.</summary>
    public static TheoryData<string, string, Transport> ChecksumValidModes()
    {
        var data = new TheoryData<string, string, Transport>();
        foreach (var transport in Enum.GetValues<Transport>())
        {
            data.Add("neutral-map", C2IlaNeutral, transport); // C-bit set, adjustment in the low 16 bits
            data.Add("neutral-map-auto", "2001:db8:b::1:0:0:5148", transport); // no C-bit: 0x4148 + 0x1000
            data.Add("adjust-transport", "2001:db8:b::1:0:0:2", transport); // identifier kept, checksum fixed (RFC 1624)
        }
        return data;
    }

    // | c1 -> A | SIR c1 -> SIR c2 | T | ==A==> | A -> B | SIR c1 -> ILA c2 | T | ==B==> | B -> c2 | SIR c1 -> SIR c2 | T |
    [Theory]
    [MemberData(nameof(ChecksumValidModes))]
    public void CrossesTwoHostsWithValidChecksumsAndRestoresTheSirAddress(string mode, string ilaAddress, Transport transport)
    {
        using var dir = new TempDir();
        var onWire = Replay(dir, 'a', mode, "ila-a-c1", Frame(AC1, C1Mac, C1, C2, 64, transport));
        Assert.Equal(Frame(BUp, AUp, C1, ilaAddress, 63, transport), onWire.Single().Data);

        var delivered = Replay(dir, 'b', mode, "ila-b-up", onWire[0].Data);
        Assert.Equal(Frame(C2Mac, BC2, C1, C2, 62, transport), delivered.Single().Data);
    }

    // no-action: the prefix is swapped and nothing else: the transport checksum is the SIR one on the wire.
    [Theory]
    [InlineData(Transport.Tcp)]
    [InlineData(Transport.Udp)]
    [InlineData(Transport.Icmpv6)]
    public void NoActionSwapsOnlyThePrefixAndTheRoundTripRestoresEveryByte(Transport transport)
    {
        using var dir = new TempDir();
        var onWire = Replay(dir, 'a', "no-action", "ila-a-c1", Frame(AC1, C1Mac, C1, C2, 64, transport));
        var expected = Frame(BUp, AUp, C1, C2, 63, transport);
        System.Net.IPAddress.Parse("2001:db8:b::1:0:0:2").TryWriteBytes(expected.AsSpan(14 + 24, 16), out _);
        Assert.Equal(expected, onWire.Single().Data);

        var delivered = Replay(dir, 'b', "no-action", "ila-b-up", onWire[0].Data);
        Assert.Equal(Frame(C2Mac, BC2, C1, C2, 62, transport), delivered.Single().Data);
    }

    [Fact]
    public void TheReplyComesBackToTheContainerOnTheOtherHost()
    {
        using var dir = new TempDir();
        var reply = Frame(AUp, BUp, C2, C1IlaNeutral, 63, Transport.Tcp); // as host B sends it to A's locator
        var delivered = Replay(dir, 'a', "neutral-map", "ila-a-up", reply);
        Assert.Equal(Frame(C1Mac, AC1, C2, C1, 62, Transport.Tcp), delivered.Single().Data);
    }

    [Fact]
    public void AnIdentifierThatCannotSurviveNeutralMappingIsRefusedByName()
    {
        using var dir = new TempDir();
        var config = dir.Write("bad.json", HostConfig('a', "neutral-map").Replace("\"1:0:0:2\"", "\"1:0:0:ffff\"", StringComparison.Ordinal));
        var result = XdpNet.Configuration.HostConfigLoader.LoadAndValidate(config, [], new Dictionary<string, string?>());
        var error = Assert.Single(result.Errors);
        Assert.Equal("Ila:Domains:0:Mappings:0:Identifier", error.Key);
        Assert.Contains("low-bits-all-ones", error.Problem, StringComparison.Ordinal);
    }

    // | c1 -> A | SIR c1 -> SIR c5 (a container on A too) | ==A==> | A -> c5 | untranslated |, with Miss "drop"
    [Fact]
    public void TrafficBetweenContainersOfOneHostStaysUntranslatedWithoutAMapping()
    {
        using var dir = new TempDir();
        const string C5 = "2001:db8:5151::1:0:0:5", C5Mac = "02:00:00:00:c5:01", AC5 = "02:00:00:00:0a:c5";
        var config = HostConfig('a', "neutral-map")
            .Replace("""{ "Name": "ila-a-up", """, $$"""{ "Name": "ila-a-c5", "Mac": "{{AC5}}" }, { "Name": "ila-a-up", """, StringComparison.Ordinal)
            .Replace("""{ "Prefix": "2001:db8:b::/64",""", $$"""{ "Prefix": "{{C5}}/128", "Interface": "ila-a-c5", "NextHopMac": "{{C5Mac}}" }, { "Prefix": "2001:db8:b::/64",""", StringComparison.Ordinal)
            .Replace("\"Domains\"", "\"Miss\": \"drop\", \"Domains\"", StringComparison.Ordinal)
            .Replace("\"Routes\":", "\"Umem\": { \"Frames\": 32768 }, \"Routes\":", StringComparison.Ordinal);
        var input = dir.File("in.pcap");
        using (var writer = PcapWriter.Create(input, nanosecond: true)) writer.Write(1, Frame(AC1, C1Mac, C1, C5, 64, Transport.Udp));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = ReplaySession.Run(dir.Write("a.json", config), [], input, "ila-a-c1", dir.File("out"), output, error, new Dictionary<string, string?>());
        Assert.True(exit == 0, error.ToString());
        using var reader = new PcapReader(File.OpenRead(Path.Combine(dir.File("out"), "ila-a-c5.pcap")));
        Assert.Equal(Frame(C5Mac, AC5, C1, C5, 63, Transport.Udp), reader.ReadAll().Single().Data);
    }

    // The kernel's Documentation/networking/ila.rst example, through xdpnet replay (offline: the spec's own addresses):
    // SIR 3333:0:0:1:2000:0:1:87 with locator 2001:0:87:0 in neutral-map mode becomes 2001:0:87:0:3000:0:1:333.
    [Theory]
    [InlineData(Transport.Tcp)]
    [InlineData(Transport.Udp)]
    [InlineData(Transport.Icmpv6)]
    public void TheKernelDocumentationExampleTranslatesAsDocumented(Transport transport)
    {
        using var dir = new TempDir();
        var config = $$"""
            {
              "Node": { "Name": "ila-doc" },
              "Interfaces": [ { "Name": "ila-d-c", "Mac": "{{AC1}}" }, { "Name": "ila-d-up", "Role": "uplink", "Mac": "{{AUp}}" } ],
              "Routes": [ { "Prefix": "2001:0:87::/64", "Interface": "ila-d-up", "NextHopMac": "{{BUp}}" } ],
              "Ila": { "Domains": [ { "SirPrefix": "3333:0:0:1::/64", "Locator": "2001:0:1::/64", "ChecksumMode": "neutral-map",
                                      "Mappings": [ { "Identifier": "2000:0:1:87", "Locator": "2001:0:87:0" } ] } ] }
            }
            """;
        var input = dir.File("in.pcap");
        using (var writer = PcapWriter.Create(input, nanosecond: true)) writer.Write(1, Frame(AC1, C1Mac, "3333:0:0:1::5", "3333:0:0:1:2000:0:1:87", 64, transport));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = ReplaySession.Run(dir.Write("doc.json", config), [], input, "ila-d-c", dir.File("out"), output, error, new Dictionary<string, string?>());
        Assert.True(exit == 0, error.ToString());
        using var reader = new PcapReader(File.OpenRead(Path.Combine(dir.File("out"), "ila-d-up.pcap")));
        Assert.Equal(Frame(BUp, AUp, "3333:0:0:1::5", "2001:0:87:0:3000:0:1:333", 63, transport), reader.ReadAll().Single().Data);
    }
}
