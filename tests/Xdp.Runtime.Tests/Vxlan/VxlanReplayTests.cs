using System.Buffers.Binary;
using Xdp.Runtime.Tests.Host;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;
using XdpNet.Replay;
using static Xdp.Runtime.Tests.Vxlan.VxlanRig;

namespace Xdp.Runtime.Tests.Vxlan;

/// <summary>
/// Golden replay: <c>xdpnet replay</c> of frames from a segment member and from the uplink; every output file (pcaps
/// and verdicts.jsonl) must equal the one committed under <c>Vxlan/golden/&lt;case&gt;/</c>, byte for byte.
/// <para>
/// The golden files were made by running this test once with <c>XDPNET_UPDATE_GOLDEN=1</c>
/// (<c>XDPNET_UPDATE_GOLDEN=1 dotnet test tests/Xdp.Runtime.Tests --filter FullyQualifiedName~VxlanReplayTests</c>)
/// and checked by hand against RFC 7348 section 5 (outer Ethernet/IPv4/UDP/VXLAN fields, dissected with tcpdump and
/// scapy's VXLAN layer: I flag, VNI 42/43, reserved bits zero, UDP port 4789, checksum zero, IPv4 header checksum
/// valid, DF, TTL 64, inner frames unchanged). Regenerate only when a change of bytes is intended, and check again.
/// </para>
/// Host: uplink vxg-up (VTEP B/C = 198.18.0.2/.3, or 2001:db8::2/::3 in the -v6 cases, ours .1 / ::1),
/// VNI 42 = vxg-c1 + vxg-c2 (flood B and C, R1 static behind B),
/// VNI 43 = vxg-c3 (flood B). Remote VTEPs have routes with static next-hop MACs: replay has no kernel neighbours.
/// </summary>
public class VxlanReplayTests
{
    private const ulong Time = 1_700_000_000_000_000_000UL;

    private static string Config(bool ipv6)
    {
        var (vtep, b, c, host) = ipv6 ? ("2001:db8::1", "2001:db8::2", "2001:db8::3", "/128") : ("198.18.0.1", "198.18.0.2", "198.18.0.3", "/32");
        return $$"""
            {
              "Node": { "Name": "vxg" },
              "Interfaces": [
                { "Name": "vxg-up", "Role": "uplink", "Mac": "{{UpMac}}" },
                { "Name": "vxg-c1", "Role": "local", "Mac": "02:00:00:00:0a:c1" },
                { "Name": "vxg-c2", "Role": "local", "Mac": "02:00:00:00:0a:c2" },
                { "Name": "vxg-c3", "Role": "local", "Mac": "02:00:00:00:0a:c3" }
              ],
              "Umem": { "Frames": 32768 },
              "Routes": [
                { "Prefix": "{{b}}{{host}}", "Interface": "vxg-up", "NextHopMac": "{{BMac}}" },
                { "Prefix": "{{c}}{{host}}", "Interface": "vxg-up", "NextHopMac": "{{CMac}}" }
              ],
              "Vxlan": {
                "Vtep": "{{vtep}}",
                "Segments": [
                  { "Vni": 42, "Interfaces": [ "vxg-c1", "vxg-c2" ], "Flood": [ "{{b}}", "{{c}}" ],
                    "Fdb": [ { "Mac": "{{R1Mac}}", "Vtep": "{{b}}" } ] },
                  { "Vni": 43, "Interfaces": [ "vxg-c3" ], "Flood": [ "{{b}}" ] }
                ]
              }
            }
            """;
    }

    /// <summary>From c1: an ARP broadcast, a unicast to R1 (static FDB), a frame too big for the uplink once encapsulated.</summary>
    private static byte[][] FromMember(bool ipv6) =>
    [
        ArpRequest(C1Mac, C1Ip, R1Ip),                               // flood: copy c2, copy -> B, original -> C
        Inner(R1Mac, payload: 32),                                   // -> B
        Inner(R1Mac, payload: 1500 - (ipv6 ? 70 : 50) - 28 + 1),     // one byte too big: ICMP fragmentation needed, MTU 1450 (1430)
    ];

    /// <summary>From the uplink: VXLAN packets as remote VTEPs send them, and traffic that is not ours.</summary>
    private static byte[][] FromUplink(bool ipv6)
    {
        var rig = new VxlanRig(ipv6: ipv6);
        var toC1 = Inner(C1Mac, srcMac: R2Mac, dstIp: C1Ip, srcIp: R2Ip);
        var eth = PacketBuilder.Ethernet(UpMac, BMac);
        return
        [
            rig.Outer(Vni, toC1, zeroChecksum: !ipv6),                           // unknown c1: flooded to c1 and c2
            rig.Outer(OtherVni, ArpRequest(R2Mac, "198.19.43.10", "198.19.43.3")), // VNI 43 broadcast: c3 only
            rig.Outer(99, toC1),                                                 // unknown VNI: dropped
            (ipv6 ? eth.Ipv6(rig.VtepB, rig.Vtep) : eth.Ipv4(rig.VtepB, rig.Vtep)).Udp(49152, 53, new byte[16]).Build(), // not VXLAN
        ];
    }

    [Theory]
    [InlineData("member", false)]
    [InlineData("member-v6", true)]
    public void FramesFromAMemberAreFloodedEncapsulatedOrAnsweredAsGolden(string name, bool ipv6)
    {
        var input = FromMember(ipv6);
        var overhead = ipv6 ? 70 : 50;
        var outputs = Replay(name, ipv6, "vxg-c1", input);
        Assert.Equal(["verdicts.jsonl", "vxg-c1.pcap", "vxg-c2.pcap", "vxg-up.pcap"], outputs.Keys.Order());

        // Independent of the golden bytes: each encapsulated frame carries its input unchanged after the outer headers.
        var up = Packets(outputs["vxg-up.pcap"]);
        Assert.Equal(3, up.Length);
        Assert.Equal(input[0], up[0].AsSpan(overhead).ToArray());
        Assert.Equal(input[0], up[1].AsSpan(overhead).ToArray());
        Assert.Equal(input[1], up[2].AsSpan(overhead).ToArray());
        Assert.Equal(input[0], Packets(outputs["vxg-c2.pcap"]).Single());
        Assert.Equal(3, Packets(outputs["vxg-c1.pcap"]).Single()[34]); // ICMP type 3

        AssertGolden(name, outputs);
    }

    [Theory]
    [InlineData("uplink", false)]
    [InlineData("uplink-v6", true)]
    public void PacketsFromTheUplinkAreDecapsulatedToTheirSegmentAsGolden(string name, bool ipv6)
    {
        var input = FromUplink(ipv6);
        var overhead = ipv6 ? 70 : 50;
        var outputs = Replay(name, ipv6, "vxg-up", input);
        Assert.Equal(["verdicts.jsonl", "vxg-c1.pcap", "vxg-c2.pcap", "vxg-c3.pcap"], outputs.Keys.Order());
        Assert.Equal(input[0].AsSpan(overhead).ToArray(), Packets(outputs["vxg-c1.pcap"]).Single());
        Assert.Equal(input[0].AsSpan(overhead).ToArray(), Packets(outputs["vxg-c2.pcap"]).Single());
        Assert.Equal(input[1].AsSpan(overhead).ToArray(), Packets(outputs["vxg-c3.pcap"]).Single());
        var verdicts = System.Text.Encoding.UTF8.GetString(outputs["verdicts.jsonl"]);
        Assert.Contains("\"index\":2,\"ingress\":\"vxg-up\",\"verdict\":\"drop\",\"egress\":null,\"reason\":\"vxlan-unknown-vni\"", verdicts, StringComparison.Ordinal);
        Assert.Contains("\"index\":3,\"ingress\":\"vxg-up\",\"verdict\":\"pass\"", verdicts, StringComparison.Ordinal);

        AssertGolden(name, outputs);
    }

    private static Dictionary<string, byte[]> Replay(string name, bool ipv6, string ingress, byte[][] frames)
    {
        using var dir = new TempDir();
        var input = dir.File($"{name}.pcap");
        using (var writer = PcapWriter.Create(input, nanosecond: true))
        {
            for (var i = 0; i < frames.Length; i++) writer.Write(Time + ((ulong)i * 1000), frames[i]);
        }
        using var output = new StringWriter();
        using var error = new StringWriter();
        var outDir = dir.File("out");
        var exit = ReplaySession.Run(dir.Write("vxg.json", Config(ipv6)), [], input, ingress, outDir, output, error, new Dictionary<string, string?>());
        Assert.True(exit == 0, error.ToString());
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(outDir)) result[Path.GetFileName(file)] = File.ReadAllBytes(file);
        return result;
    }

    private static byte[][] Packets(byte[] pcap)
    {
        using var reader = new PcapReader(new MemoryStream(pcap));
        return reader.ReadAll().Select(p => p.Data).ToArray();
    }

    private static void AssertGolden(string name, Dictionary<string, byte[]> outputs)
    {
        var golden = Path.Combine(RepoPaths.Root, "tests", "Xdp.Runtime.Tests", "Vxlan", "golden", name);
        if (Environment.GetEnvironmentVariable("XDPNET_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(golden);
            foreach (var old in Directory.GetFiles(golden)) File.Delete(old);
            foreach (var (file, bytes) in outputs) File.WriteAllBytes(Path.Combine(golden, file), bytes);
        }
        Assert.True(Directory.Exists(golden), $"no golden files in {golden}");
        Assert.Equal(Directory.GetFiles(golden).Select(Path.GetFileName).Order(), outputs.Keys.Order());
        foreach (var (file, bytes) in outputs)
        {
            var expected = File.ReadAllBytes(Path.Combine(golden, file));
            Assert.True(expected.AsSpan().SequenceEqual(bytes), $"{name}/{file} differs from the golden file (first difference at byte {expected.AsSpan().CommonPrefixLength(bytes)})");
        }
    }

    // The VXLAN header in the golden uplink capture, checked here too so the RFC's fields are visible in the test.
    [Fact]
    public void TheGoldenEncapsulationCarriesTheRfcFields()
    {
        var golden = Path.Combine(RepoPaths.Root, "tests", "Xdp.Runtime.Tests", "Vxlan", "golden", "member", "vxg-up.pcap");
        var up = Packets(File.ReadAllBytes(golden));
        string[] destinations = ["198.18.0.2", "198.18.0.3", "198.18.0.2"];
        string[] nextHops = [BMac, CMac, BMac];
        for (var i = 0; i < up.Length; i++)
        {
            var o = up[i];
            Assert.Equal(nextHops[i], MacAddress.Read(o).ToString());
            Assert.Equal(UpMac, MacAddress.Read(o.AsSpan(6)).ToString());
            Assert.Equal(0, Checksum.Compute(o.AsSpan(14, 20)));
            Assert.Equal(destinations[i], new System.Net.IPAddress(o.AsSpan(30, 4)).ToString());
            Assert.Equal(4789, BinaryPrimitives.ReadUInt16BigEndian(o.AsSpan(36)));
            Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(o.AsSpan(40)));
            Assert.Equal(new byte[] { 0x08, 0, 0, 0, 0, 0, 42, 0 }, o.AsSpan(42, 8).ToArray());
        }
    }
}
