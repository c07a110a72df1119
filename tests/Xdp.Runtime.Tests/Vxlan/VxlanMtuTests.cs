using System.Buffers.Binary;
using System.Net;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;
using static Xdp.Runtime.Tests.Vxlan.VxlanRig;

namespace Xdp.Runtime.Tests.Vxlan;

/// <summary>
/// A frame that would exceed the uplink MTU once encapsulated is not sent broken (RFC 7348 section 4.3: VTEPs do not
/// fragment): it is answered with ICMP Fragmentation Needed (RFC 1191) or ICMPv6 Packet Too Big (RFC 4443 section
/// 3.2) carrying the usable MTU (uplink MTU - 50, or - 70 over IPv6), back out of the ingress member.
/// </summary>
public class VxlanMtuTests
{
    /// <summary>| c1 -> R1 | IPv4 C1 -> R1 | UDP | of exactly <paramref name="frameLength"/> bytes.</summary>
    // | c1 -> unknown MAC | IPv4 1451 bytes (frame 1465) | flooded to c2, B and C | one ICMP back to c1, not one per VTEP
    [Fact]
    public void AFloodedFrameTooBigGetsOneErrorNotOnePerVtep()
    {
        var rig = new VxlanRig(uplinkMtu: 1500);
        var emitter = new RecordingEmitter();
        var frame = Inner("02:00:00:00:ee:01", payload: 1465 - 42);
        var result = rig.Run(frame, C1, emitter);

        Assert.Equal(Verdict.Tx, result.Verdict); // the original became the error, back to c1
        Assert.Equal(C1, result.Egress);
        Assert.Equal(3, result.Bytes[34]);
        Assert.Equal(2, rig.Counters.TooBig);
        Assert.Equal(1, rig.Counters.IcmpTooBigSent);
        // The copy for c2 (a member, no underlay) is delivered; the copy for VTEP B is dropped as too big.
        Assert.Contains(emitter.Copies, c => c.Verdict == Verdict.Tx && c.Egress == C2);
        Assert.Contains(emitter.Copies, c => c.Verdict == Verdict.Drop && c.Reason == DropReason.TooBig);
        Assert.DoesNotContain(emitter.Copies, c => c.Verdict == Verdict.Tx && c.Egress == C1);
    }

    private static byte[] V4Frame(int frameLength) => Inner(R1Mac, payload: frameLength - 42);

    private static byte[] V6Frame(int frameLength) =>
        PacketBuilder.Ethernet(R1Mac, C1Mac).Ipv6(C1Ip6, R1Ip6).Udp(5000, 7000, Payload(frameLength - 62)).Build();

    [Theory]
    [InlineData(false, 1500, 1464)]
    [InlineData(true, 1500, 1444)]
    [InlineData(false, 1280, 1244)]
    public void AFrameThatFitsExactlyIsEncapsulated(bool ipv6, int mtu, int largest)
    {
        var rig = new VxlanRig(ipv6: ipv6, uplinkMtu: mtu);
        var result = rig.Run(V4Frame(largest), C1);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(Up, result.Egress);
        Assert.Equal(mtu, result.Bytes.Length - 14); // the outer IP packet is exactly the MTU
    }

    // | c1 -> R1 | IPv4 1451 bytes | ==A==> | R1 -> c1 | IPv4 R1 -> C1 | ICMP 3/4 MTU 1450 | quoted 548 bytes | on c1
    [Theory]
    [InlineData(false, 1500, 1450)]
    [InlineData(true, 1500, 1430)]
    [InlineData(false, 1280, 1230)]
    public void AnIpv4FrameTooBigGetsFragmentationNeededWithTheUsableMtu(bool ipv6Underlay, int mtu, int usable)
    {
        var rig = new VxlanRig(ipv6: ipv6Underlay, uplinkMtu: mtu);
        var frame = V4Frame(usable + 14 + 1);
        var result = rig.Run(frame, C1);

        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(C1, result.Egress);
        var o = result.Bytes;
        const int quoted = 576 - 28; // RFC 1812 section 4.3.2.3
        Assert.Equal(14 + 20 + 8 + quoted, o.Length);
        Assert.Equal(Headroom - 28, result.Offset); // the quoted packet stayed in place
        Assert.Equal(MacAddress.Parse(C1Mac), MacAddress.Read(o));
        Assert.Equal(MacAddress.Parse(R1Mac), MacAddress.Read(o.AsSpan(6)));
        Assert.Equal(EtherType.Ipv4, BinaryPrimitives.ReadUInt16BigEndian(o.AsSpan(12)));
        var ip = o.AsSpan(14, 20);
        Assert.Equal(0x45, ip[0]);
        Assert.Equal(20 + 8 + quoted, BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2)));
        Assert.Equal(64, ip[8]);
        Assert.Equal(IpProtocol.Icmp, ip[9]);
        Assert.Equal(0, Checksum.Compute(ip));
        Assert.Equal(IPAddress.Parse(R1Ip).GetAddressBytes(), ip.Slice(12, 4).ToArray()); // from the packet's destination
        Assert.Equal(IPAddress.Parse(C1Ip).GetAddressBytes(), ip.Slice(16, 4).ToArray());
        var icmp = o.AsSpan(34);
        Assert.Equal(3, icmp[0]); // destination unreachable
        Assert.Equal(4, icmp[1]); // fragmentation needed and DF set
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(icmp.Slice(4)));
        Assert.Equal(usable, BinaryPrimitives.ReadUInt16BigEndian(icmp.Slice(6))); // next-hop MTU (RFC 1191 section 4)
        Assert.Equal(0, Checksum.Compute(icmp));
        Assert.Equal(frame.AsSpan(14, quoted).ToArray(), icmp.Slice(8).ToArray());
        Assert.Equal(1, rig.Counters.TooBig);
        Assert.Equal(1, rig.Counters.IcmpTooBigSent);
        Assert.Equal(0, rig.Counters.Encapsulated);
    }

    // | c1 -> R1 | IPv6 | ==A==> | R1 -> c1 | IPv6 R1 -> C1 | ICMPv6 PTB MTU 1430 | quoted 1232 bytes | on c1
    [Fact]
    public void AnIpv6FrameTooBigGetsPacketTooBigWithTheUsableMtu()
    {
        var rig = new VxlanRig(ipv6: true);
        var frame = V6Frame(1445);
        var result = rig.Run(frame, C1);

        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(C1, result.Egress);
        var o = result.Bytes;
        const int quoted = 1280 - 48; // RFC 4443 section 2.4 (c)
        Assert.Equal(14 + 40 + 8 + quoted, o.Length);
        Assert.Equal(MacAddress.Parse(C1Mac), MacAddress.Read(o));
        Assert.Equal(MacAddress.Parse(R1Mac), MacAddress.Read(o.AsSpan(6)));
        Assert.Equal(EtherType.Ipv6, BinaryPrimitives.ReadUInt16BigEndian(o.AsSpan(12)));
        var ip = o.AsSpan(14, 40);
        Assert.Equal(0x60, ip[0]);
        Assert.Equal(8 + quoted, BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(4)));
        Assert.Equal(IpProtocol.Icmpv6, ip[6]);
        Assert.Equal(64, ip[7]);
        Assert.Equal(IPAddress.Parse(R1Ip6).GetAddressBytes(), ip.Slice(8, 16).ToArray());
        Assert.Equal(IPAddress.Parse(C1Ip6).GetAddressBytes(), ip.Slice(24, 16).ToArray());
        var icmp = o.AsSpan(54);
        Assert.Equal(2, icmp[0]); // Packet Too Big
        Assert.Equal(0, icmp[1]);
        Assert.Equal(1500u - 70, BinaryPrimitives.ReadUInt32BigEndian(icmp.Slice(4)));
        var pseudo = Checksum.PseudoHeaderV6(ip.Slice(8, 16), ip.Slice(24, 16), IpProtocol.Icmpv6, (uint)icmp.Length);
        Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Sum(icmp, pseudo)));
        Assert.Equal(frame.AsSpan(14, quoted).ToArray(), icmp.Slice(8).ToArray());
    }

    [Fact]
    public void NoErrorIsSentAboutAnIcmpError()
    {
        var rig = new VxlanRig();
        var unreachable = new byte[1500];
        unreachable[0] = 3; // an ICMP Destination Unreachable, big enough not to fit
        unreachable[1] = 1;
        var frame = PacketBuilder.Ethernet(R1Mac, C1Mac).Ipv4(C1Ip, R1Ip, protocol: IpProtocol.Icmp).Payload(unreachable).Build();
        var result = rig.Run(frame, C1);
        Assert.Equal(Verdict.Drop, result.Verdict);
        Assert.Equal(DropReason.TooBig, result.Reason);
        Assert.Equal(1, rig.Counters.TooBig);
        Assert.Equal(0, rig.Counters.IcmpTooBigSent);
    }

    [Fact]
    public void NoErrorIsSentAboutAnIcmpv6Error()
    {
        var rig = new VxlanRig(ipv6: true);
        var unreachable = new byte[1500];
        unreachable[0] = 1; // ICMPv6 Destination Unreachable
        var frame = PacketBuilder.Ethernet(R1Mac, C1Mac).Ipv6(C1Ip6, R1Ip6, nextHeader: IpProtocol.Icmpv6).Payload(unreachable).Build();
        var result = rig.Run(frame, C1);
        Assert.Equal(Verdict.Drop, result.Verdict);
        Assert.Equal(DropReason.TooBig, result.Reason);
        Assert.Equal(0, rig.Counters.IcmpTooBigSent);
    }

    [Fact]
    public void ANonIpFrameTooBigIsDropped()
    {
        var rig = new VxlanRig();
        var frame = PacketBuilder.Ethernet(R1Mac, C1Mac).EtherTypePayload(0x88B5, new byte[1500]).Build(); // local experimental
        var result = rig.Run(frame, C1);
        Assert.Equal(Verdict.Drop, result.Verdict);
        Assert.Equal(DropReason.TooBig, result.Reason);
    }
}
