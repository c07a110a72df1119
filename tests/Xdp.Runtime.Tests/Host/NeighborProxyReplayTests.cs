using System.Buffers.Binary;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;
using XdpNet.Replay;

namespace Xdp.Runtime.Tests.Host;

/// <summary>
/// The neighbour proxy and ICMPv6 errors quoting ILA addresses through <c>xdpnet replay</c> (steering included), on
/// host A of the two-host ILA setup of <see cref="IlaReplayTests"/>: container c1 (SIR 2001:db8:5151::1:0:0:1) on the
/// local interface ila-a-c1, c2 (1:0:0:2) living on host B (locator 2001:db8:b::). Expected frames are built
/// independently with the packet builder.
/// </summary>
public class NeighborProxyReplayTests
{
    private const string C1 = IlaReplayTests.C1, C2 = IlaReplayTests.C2, Router = "2001:db8:ff::1";
    private const string C1Mac = IlaReplayTests.C1Mac, AC1 = IlaReplayTests.AC1, AUp = IlaReplayTests.AUp, BUp = IlaReplayTests.BUp;
    private static readonly byte[] Payload = "too big for the path"u8.ToArray();

    private static string HostA(string mode) => IlaReplayTests.HostConfig('a', mode);

    /// <summary>Replays one frame on host A; what left by <paramref name="egress"/> (empty when nothing did).</summary>
    private static PcapPacket[] Replay(string mode, string ingress, byte[] frame, string egress)
    {
        using var dir = new TempDir();
        var input = dir.File("in.pcap");
        using (var writer = PcapWriter.Create(input, nanosecond: true)) writer.Write(1_700_000_000_000_000_000UL, frame);
        var config = dir.Write("host-a.json", HostA(mode));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var outDir = dir.File("out");
        Assert.Equal(0, ReplaySession.Run(config, [], input, ingress, outDir, output, error, new Dictionary<string, string?>()));
        var path = Path.Combine(outDir, egress + ".pcap");
        if (!File.Exists(path)) return [];
        using var reader = new PcapReader(File.OpenRead(path));
        return reader.ReadAll().ToArray();
    }

    // | c1 -> ff02::1:ff00:2 | NS who-has SIR c2 | ==A==> | c1 <- SIR c2 | NA tlla A's veth MAC | on ila-a-c1 |
    [Fact]
    public void ASolicitationFromAContainerIsAnsweredOnItsOwnInterface()
    {
        var ns = PacketBuilder.Ethernet("33:33:ff:00:00:02", C1Mac).Ipv6(C1, "ff02::1:ff00:2", 255).NeighborSolicitation(C2, C1Mac).Build();
        var answered = Replay("neutral-map", "ila-a-c1", ns, "ila-a-c1");
        var expected = PacketBuilder.Ethernet(C1Mac, AC1).Ipv6(C2, C1, 255)
            .NeighborAdvertisement(C2, AC1, router: false, solicited: true, @override: false).Build();
        Assert.Equal(expected, answered.Single().Data);
    }

    [Fact]
    public void ASolicitationForTheContainersOwnAddressIsNotAnswered()
    {
        var dad = PacketBuilder.Ethernet("33:33:ff:00:00:01", C1Mac).Ipv6("::", "ff02::1:ff00:1", 255).NeighborSolicitation(C1).Build();
        Assert.Empty(Replay("neutral-map", "ila-a-c1", dad, "ila-a-c1"));
    }

    /// <summary>A Packet Too Big (RFC 4443 section 3.2, MTU 1280) quoting <paramref name="quoted"/>, with a valid checksum.</summary>
    private static byte[] PacketTooBig(string dstMac, string srcMac, string dst, byte hopLimit, byte[] quoted)
    {
        var icmp = new byte[8 + quoted.Length];
        icmp[0] = Icmpv6Header.TypePacketTooBig;
        BinaryPrimitives.WriteUInt32BigEndian(icmp.AsSpan(4), 1280);
        quoted.CopyTo(icmp, 8);
        var frame = PacketBuilder.Ethernet(dstMac, srcMac).Ipv6(Router, dst, hopLimit, IpProtocol.Icmpv6).Payload(icmp).Build();
        Assert.True(Ipv6Header.TryCreate(frame.AsSpan(14), out var ip));
        Assert.True(Icmpv6Header.TryCreate(ip.Payload, out var message));
        message.FillChecksum(ip.SourceBytes, ip.DestinationBytes);
        return frame;
    }

    private static byte[] Udp(string dst) => PacketBuilder.Ethernet(BUp, AUp).Ipv6(C1, dst, 63).Udp(40000, 53, Payload).Build()[14..];

    // | router -> ILA c1 | PTB quoting | SIR c1 -> ILA c2 | UDP | ==A==> | router -> SIR c1 | PTB quoting | SIR c1 -> SIR c2 | UDP |
    [Theory]
    [InlineData("neutral-map", "2001:db8:a::1001:0:0:4148", "2001:db8:b::1001:0:0:4148")]
    [InlineData("adjust-transport", "2001:db8:a::1:0:0:1", "2001:db8:b::1:0:0:2")]
    public void APacketTooBigQuotingAnIlaAddressReachesTheSenderQuotingTheSirAddress(string mode, string c1Ila, string c2Ila)
    {
        // The quote is what host A sent on the wire (in adjust-transport its UDP checksum was fixed for the ILA address).
        var error = PacketTooBig(AUp, BUp, c1Ila, 64, Udp(c2Ila));
        var delivered = Replay(mode, "ila-a-up", error, "ila-a-c1");
        Assert.Equal(PacketTooBig(C1Mac, AC1, C1, 63, Udp(C2)), delivered.Single().Data);
    }

    [Fact]
    public void AQuoteCutBeforeTheTransportChecksumHasOnlyItsAddressRestored()
    {
        var error = PacketTooBig(AUp, BUp, "2001:db8:a::1:0:0:1", 64, Udp("2001:db8:b::1:0:0:2")[..44]);
        var delivered = Replay("adjust-transport", "ila-a-up", error, "ila-a-c1");
        Assert.Equal(PacketTooBig(C1Mac, AC1, C1, 63, Udp(C2)[..44]), delivered.Single().Data);
    }
}
