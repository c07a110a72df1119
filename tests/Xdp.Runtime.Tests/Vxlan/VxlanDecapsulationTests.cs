using System.Buffers.Binary;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Wire;
using static Xdp.Runtime.Tests.Vxlan.VxlanRig;

namespace Xdp.Runtime.Tests.Vxlan;

/// <summary>
/// Decapsulation (RFC 7348 section 5): | B -> up | remote VTEP -> our VTEP | UDP -> 4789 | I, VNI | inner | is stripped
/// to the inner frame and delivered by inner destination MAC; everything malformed is a named drop; what is not ours
/// continues to the next stage.
/// </summary>
public class VxlanDecapsulationTests
{
    /// <summary>c1's MAC learned on c1 (it sent something), so frames to it are delivered, not flooded.</summary>
    private static VxlanRig WithC1Known(bool ipv6 = false, bool gbp = false)
    {
        var rig = new VxlanRig(ipv6: ipv6, gbp: gbp);
        Assert.Equal(Verdict.Tx, rig.Run(Inner(R1Mac), C1).Verdict);
        return rig;
    }

    // | B -> up | VTEP B -> VTEP A | UDP -> 4789 | I, VNI 42 | R1 -> c1 | ==A==> | R1 -> c1 | on c1
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void IsDeliveredToTheMemberByInnerDestinationMac(bool ipv6, bool zeroChecksum)
    {
        var rig = WithC1Known(ipv6);
        var inner = Inner(C1Mac, srcMac: R1Mac, dstIp: C1Ip, srcIp: R1Ip);
        var outer = rig.Outer(Vni, inner, zeroChecksum: zeroChecksum);
        var result = rig.Run(outer, Up);

        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(C1, result.Egress);
        Assert.Equal(inner, result.Bytes);
        // Stripped in place: the inner frame is where it arrived, after the outer headers.
        Assert.Equal(Headroom + rig.Overhead, result.Offset);
        Assert.Equal(1, rig.Counters.Decapsulated);
    }

    public static TheoryData<string, DropReason> Malformed() => new()
    {
        { "unknown VNI", DropReason.VxlanUnknownVni },
        { "I flag missing", DropReason.VxlanBadFlags },
        { "VXLAN header truncated", DropReason.VxlanTruncated },
        { "UDP header truncated", DropReason.VxlanTruncated },
        { "inner frame shorter than Ethernet", DropReason.VxlanInnerTooShort },
        { "wrong non-zero UDP checksum", DropReason.VxlanBadChecksum },
        { "outer IPv4 first fragment", DropReason.VxlanFragment },
        { "outer IPv4 later fragment", DropReason.VxlanFragment },
        { "outer IPv4 header checksum wrong", DropReason.BadIpv4Header },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedIpv4UnderlayPacketsAreDroppedByName(string what, DropReason reason)
    {
        var rig = WithC1Known();
        var inner = Inner(C1Mac, srcMac: R1Mac);
        var frame = what switch
        {
            "unknown VNI" => rig.Outer(4242, inner),
            "I flag missing" => rig.Outer(Vni, inner, flags: 0x00),
            "VXLAN header truncated" => rig.Outer([0x08, 0, 0, 0]),
            "UDP header truncated" => Truncated(rig.Outer(Vni, inner), 14 + 20 + 6),
            "inner frame shorter than Ethernet" => rig.Outer(Vni, inner.AsSpan(0, 13).ToArray()),
            "wrong non-zero UDP checksum" => Corrupt(rig.Outer(Vni, inner), rig.UdpChecksumOffset),
            "outer IPv4 first fragment" => Fragment(rig.Outer(Vni, inner), 0x2000),
            "outer IPv4 later fragment" => Fragment(rig.Outer(Vni, inner), 0x0010),
            "outer IPv4 header checksum wrong" => Corrupt(rig.Outer(Vni, inner), 14 + 10),
            _ => throw new ArgumentException(what),
        };
        var result = rig.Run(frame, Up);
        Assert.Equal(Verdict.Drop, result.Verdict);
        Assert.Equal(reason, result.Reason);
        Assert.Equal(0, rig.Counters.Decapsulated);
    }

    [Theory]
    [InlineData("zero UDP checksum")]
    [InlineData("wrong UDP checksum")]
    [InlineData("unknown VNI")]
    public void MalformedIpv6UnderlayPacketsAreDroppedByName(string what)
    {
        var rig = WithC1Known(ipv6: true);
        var inner = Inner(C1Mac, srcMac: R1Mac);
        var (frame, reason) = what switch
        {
            // RFC 6935/6936: zero is not a checksum over IPv6; the kernel's VXLAN refuses it by default.
            "zero UDP checksum" => (rig.Outer(Vni, inner, zeroChecksum: true), DropReason.VxlanBadChecksum),
            "wrong UDP checksum" => (Corrupt(rig.Outer(Vni, inner), rig.UdpChecksumOffset), DropReason.VxlanBadChecksum),
            _ => (rig.Outer(7, inner), DropReason.VxlanUnknownVni),
        };
        var result = rig.Run(frame, Up);
        Assert.Equal(Verdict.Drop, result.Verdict);
        Assert.Equal(reason, result.Reason);
    }

    // Linux on veth sends CHECKSUM_PARTIAL: the UDP checksum field holds the folded pseudo-header sum (not complemented)
    // and the rest is left to offload. The kernel accepts it; so must we.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AChecksumLeftToOffloadIsAccepted(bool ipv6)
    {
        var rig = WithC1Known(ipv6);
        var inner = Inner(C1Mac, srcMac: R1Mac, dstIp: C1Ip, srcIp: R1Ip);
        var outer = rig.Outer(Vni, inner);
        BinaryPrimitives.WriteUInt16BigEndian(outer.AsSpan(rig.UdpChecksumOffset), Checksum.Fold(rig.PseudoHeader(outer)));
        var result = rig.Run(outer, Up);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(C1, result.Egress);
        Assert.Equal(inner, result.Bytes);
    }

    // The kernel's local checksum offload: the inner UDP checksum is left partial (pseudo-header sum) and the outer one
    // is computed as if the inner one were final. The inner checksum is finished, then the outer one verifies.
    [Fact]
    public void AnInnerChecksumLeftToOffloadIsFinishedBeforeTheOuterOneIsVerified()
    {
        var rig = WithC1Known();
        var inner = Inner(C1Mac, srcMac: R1Mac, dstIp: C1Ip, srcIp: R1Ip);
        var outer = rig.Outer(Vni, inner); // outer checksum over the final inner bytes
        var innerUdp = rig.Overhead + 14 + 20;
        var partial = (byte[])outer.Clone();
        var innerPseudo = Checksum.PseudoHeaderV4(BitConverter.ToUInt32(inner, 14 + 12), BitConverter.ToUInt32(inner, 14 + 16), IpProtocol.Udp,
            (ushort)(inner.Length - 34));
        BinaryPrimitives.WriteUInt16BigEndian(partial.AsSpan(innerUdp + 6), Checksum.Fold(innerPseudo));
        var result = rig.Run(partial, Up);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(inner, result.Bytes); // delivered with the inner checksum completed
    }

    // RFC 7348 section 5: reserved fields are "ignored on receipt".
    [Fact]
    public void ReservedBitsAreIgnoredOnReceipt()
    {
        var rig = WithC1Known();
        var inner = Inner(C1Mac, srcMac: R1Mac, dstIp: C1Ip, srcIp: R1Ip);
        byte[] header = [0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 42, 0xFF]; // every reserved bit set, G clear, I set
        var result = rig.Run(rig.Outer([.. header, .. inner]), Up);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(C1, result.Egress);
        Assert.Equal(inner, result.Bytes);
    }

    // Ethernet padding or trailing bytes after the IP packet are not part of the inner frame.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BytesAfterTheOuterIpPacketAreNotDelivered(bool ipv6)
    {
        var rig = WithC1Known(ipv6);
        var inner = Inner(C1Mac, srcMac: R1Mac, dstIp: C1Ip, srcIp: R1Ip);
        byte[] padded = [.. rig.Outer(Vni, inner), 0xDE, 0xAD, 0xBE, 0xEF];
        var result = rig.Run(padded, Up);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(inner, result.Bytes);
    }

    // | B -> up | IPv4 IHL 6 (one NOP option word) | UDP | VXLAN | inner |: the UDP header follows the options.
    [Fact]
    public void AnOuterIpv4HeaderWithOptionsIsDecapsulated()
    {
        var rig = WithC1Known();
        var inner = Inner(C1Mac, srcMac: R1Mac, dstIp: C1Ip, srcIp: R1Ip);
        var plain = rig.Outer(Vni, inner);
        byte[] withOptions = [.. plain.AsSpan(0, 34), 1, 1, 1, 0, .. plain.AsSpan(34)]; // NOP NOP NOP EOL (RFC 791)
        withOptions[14] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(withOptions.AsSpan(16), (ushort)(withOptions.Length - 14));
        BinaryPrimitives.WriteUInt16BigEndian(withOptions.AsSpan(24), 0);
        BinaryPrimitives.WriteUInt16BigEndian(withOptions.AsSpan(24), Checksum.Compute(withOptions.AsSpan(14, 24)));
        var result = rig.Run(withOptions, Up);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(C1, result.Egress);
        Assert.Equal(inner, result.Bytes);
    }

    // Nothing is learned from a packet that is dropped: a forged or corrupted packet must not move a MAC.
    [Theory]
    [InlineData("wrong UDP checksum")]
    [InlineData("unknown VNI")]
    [InlineData("I flag missing")]
    public void ADroppedPacketTeachesNothing(string what)
    {
        var rig = WithC1Known();
        var inner = Inner(C1Mac, srcMac: R2Mac);
        var frame = what switch
        {
            "wrong UDP checksum" => Corrupt(rig.Outer(Vni, inner), rig.UdpChecksumOffset),
            "unknown VNI" => rig.Outer(4242, inner),
            _ => rig.Outer(Vni, inner, flags: 0),
        };
        Assert.Equal(Verdict.Drop, rig.Run(frame, Up).Verdict);
        Assert.False(rig.Learned.TryLookup(Vni, MacAddress.Parse(R2Mac).Value, Environment.TickCount64, out _, out _));
        Assert.False(rig.Learned.TryLookup(4242, MacAddress.Parse(R2Mac).Value, Environment.TickCount64, out _, out _));
    }

    public static TheoryData<string> NotOurs() => new()
    {
        "another destination address", "another UDP port", "not UDP", "the other underlay family", "ARP on the uplink",
    };

    [Theory]
    [MemberData(nameof(NotOurs))]
    public void PacketsThatAreNotOursContinue(string what)
    {
        var rig = WithC1Known();
        var inner = Inner(C1Mac, srcMac: R1Mac);
        byte[] vx = [.. VxlanBytes(Vni), .. inner];
        var frame = what switch
        {
            "another destination address" => rig.Outer(vx, to: "198.18.0.9"),
            "another UDP port" => rig.Outer(vx, port: 4790),
            "not UDP" => Support.PacketBuilder.Ethernet(UpMac, BMac).Ipv4(rig.VtepB, rig.Vtep).Tcp(49152, 4789, payload: vx).Build(),
            "the other underlay family" => new VxlanRig(ipv6: true).Outer(vx, port: 4789),
            _ => ArpRequest(BMac, "198.18.0.2", "198.18.0.1"),
        };
        var result = rig.Run(frame, Up);
        Assert.Equal(Verdict.Continue, result.Verdict);
        Assert.Equal(frame, result.Bytes); // untouched for the next stage
        Assert.Equal(0, rig.Counters.Decapsulated);
    }

    [Fact]
    public void AFrameForARemoteMacIsNeverSentBackIntoTheOverlay()
    {
        var rig = WithC1Known();
        // R1 is behind B by static entry: a decapsulated frame to it would go back out: split horizon.
        var result = rig.Run(rig.Outer(Vni, Inner(R1Mac, srcMac: R2Mac), from: rig.VtepC), Up);
        Assert.Equal(Verdict.Drop, result.Verdict);
        Assert.Equal(DropReason.VxlanSplitHorizon, result.Reason);
    }

    [Fact]
    public void GbpPolicyIdOfTheSenderBecomesTheSourceIdentity()
    {
        var rig = WithC1Known(gbp: true);
        var result = rig.Run(rig.Outer(Vni, Inner(C1Mac, srcMac: R1Mac), flags: 0x88, groupPolicy: 200), Up);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(200u, result.SourceIdentity);
        Assert.Equal(1, rig.Counters.GbpReceived);
    }

    [Fact]
    public void WithoutGbpTheGroupPolicyFieldIsIgnored()
    {
        var rig = WithC1Known(gbp: false);
        var result = rig.Run(rig.Outer(Vni, Inner(C1Mac, srcMac: R1Mac), flags: 0x88, groupPolicy: 200), Up);
        Assert.Equal(Verdict.Tx, result.Verdict); // RFC 7348: reserved bits ignored on receipt
        Assert.Equal(0u, result.SourceIdentity);
    }

    private static byte[] Truncated(byte[] frame, int length)
    {
        var copy = frame.AsSpan(0, length).ToArray();
        // Keep the IPv4 header consistent with the shorter packet, so only the UDP header is short.
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(14 + 2), (ushort)(length - 14));
        FixIpv4Checksum(copy);
        return copy;
    }

    private static byte[] Corrupt(byte[] frame, int offset)
    {
        frame[offset] ^= 0x5A;
        return frame;
    }

    private static byte[] Fragment(byte[] frame, ushort flagsAndOffset)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 6), flagsAndOffset);
        FixIpv4Checksum(frame);
        return frame;
    }

    private static void FixIpv4Checksum(byte[] frame)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 10), 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 10), Checksum.Compute(frame.AsSpan(14, 20)));
    }
}
