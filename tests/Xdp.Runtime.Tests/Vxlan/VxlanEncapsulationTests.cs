using System.Buffers.Binary;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Wire;
using Xdp.Vxlan;
using static Xdp.Runtime.Tests.Vxlan.VxlanRig;

namespace Xdp.Runtime.Tests.Vxlan;

/// <summary>
/// Encapsulation (RFC 7348 section 5): a frame from a segment member to a remote MAC leaves the uplink as
/// | eth next-hop <- uplink | IP our VTEP -> remote VTEP | UDP hash -> 4789 | VXLAN I, VNI | inner frame unchanged |.
/// Expected frames are built independently with the packet builder and compared byte for byte.
/// </summary>
public class VxlanEncapsulationTests
{
    // | c1 -> R1 | IPv4 | UDP | ==A==> | B <- up | 198.18.0.1 -> 198.18.0.2 | UDP -> 4789 (checksum 0) | I, VNI 42 | c1 -> R1 |
    [Fact]
    public void Ipv4UnderlayHeadersAreExactAndTheInnerFrameStaysInPlace()
    {
        var rig = new VxlanRig();
        var inner = Inner(R1Mac);
        var result = rig.Run(inner, C1);

        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(Up, result.Egress);
        // Pushed into the headroom: the inner frame did not move, the outer headers sit right before it.
        Assert.Equal(Headroom - 50, result.Offset);
        Assert.Equal(inner, rig.Frame.AsSpan(Headroom, inner.Length).ToArray());
        Assert.Equal(inner.Length + 50, result.Bytes.Length);

        var o = result.Bytes;
        var sourcePort = rig.SourcePortOf(o);
        Assert.Equal(rig.ExpectedEncapsulation(inner, rig.VtepB, BMac, sourcePort), o);

        // The same, field by field, so a failure says which field.
        Assert.Equal(MacAddress.Parse(BMac), MacAddress.Read(o));
        Assert.Equal(MacAddress.Parse(UpMac), MacAddress.Read(o.AsSpan(6)));
        Assert.Equal(EtherType.Ipv4, BinaryPrimitives.ReadUInt16BigEndian(o.AsSpan(12)));
        var ip = o.AsSpan(14, 20);
        Assert.Equal(0x45, ip[0]);
        Assert.Equal(20 + 8 + 8 + inner.Length, BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2)));
        Assert.Equal(0x4000, BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(6))); // DF, offset 0 (RFC 7348 section 4.3: no fragmentation)
        Assert.Equal(64, ip[8]);
        Assert.Equal(IpProtocol.Udp, ip[9]);
        Assert.Equal(0, Checksum.Compute(ip)); // a valid header checksum sums to all ones
        Assert.Equal(new byte[] { 198, 18, 0, 1 }, ip.Slice(12, 4).ToArray());
        Assert.Equal(new byte[] { 198, 18, 0, 2 }, ip.Slice(16, 4).ToArray());
        var udp = o.AsSpan(34, 8);
        Assert.InRange(sourcePort, (ushort)32768, (ushort)60999);
        Assert.Equal(4789, BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(2)));
        Assert.Equal(8 + 8 + inner.Length, BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(4)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(6))); // RFC 7348 section 5: SHOULD be zero over IPv4
        Assert.Equal(new byte[] { 0x08, 0, 0, 0, 0, 0, 42, 0 }, o.AsSpan(42, 8).ToArray()); // I flag, VNI 42, reserved zero
        Assert.Equal(1, rig.Counters.Encapsulated);
    }

    [Fact]
    public void Ipv4UdpChecksumIsComputedWhenConfigured()
    {
        var rig = new VxlanRig(ipv4UdpChecksum: true);
        var inner = Inner(R1Mac);
        var o = rig.Run(inner, C1).Bytes;
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(o.AsSpan(rig.UdpChecksumOffset)));
        Assert.True(rig.UdpChecksumValid(o));
        Assert.Equal(rig.ExpectedEncapsulation(inner, rig.VtepB, BMac, rig.SourcePortOf(o), udpChecksum: true), o);
    }

    // | c1 -> R1 | ==A==> | B <- up | 2001:db8::1 -> 2001:db8::2, flow label = hash | UDP -> 4789 (checksum) | I, VNI 42 | c1 -> R1 |
    [Fact]
    public void Ipv6UnderlayHeadersAreExactWithTheFlowLabelFromTheHashAndAChecksum()
    {
        var rig = new VxlanRig(ipv6: true);
        var inner = Inner(R1Mac);
        var result = rig.Run(inner, C1);

        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(Headroom - 70, result.Offset);
        Assert.Equal(inner, rig.Frame.AsSpan(Headroom, inner.Length).ToArray());
        var o = result.Bytes;
        var label = BinaryPrimitives.ReadUInt32BigEndian(o.AsSpan(14)) & 0x000F_FFFF;
        Assert.Equal(VxlanStage.FlowHash(inner) & 0x000F_FFFF, label);
        Assert.Equal(rig.ExpectedEncapsulation(inner, rig.VtepB, BMac, rig.SourcePortOf(o), label), o);

        Assert.Equal(EtherType.Ipv6, BinaryPrimitives.ReadUInt16BigEndian(o.AsSpan(12)));
        Assert.Equal(6, o[14] >> 4);
        Assert.Equal(8 + 8 + inner.Length, BinaryPrimitives.ReadUInt16BigEndian(o.AsSpan(14 + 4))); // payload length
        Assert.Equal(IpProtocol.Udp, o[14 + 6]);
        Assert.Equal(64, o[14 + 7]);
        Assert.Equal(System.Net.IPAddress.Parse("2001:db8::1").GetAddressBytes(), o.AsSpan(14 + 8, 16).ToArray());
        Assert.Equal(System.Net.IPAddress.Parse("2001:db8::2").GetAddressBytes(), o.AsSpan(14 + 24, 16).ToArray());
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(o.AsSpan(rig.UdpChecksumOffset)));
        Assert.True(rig.UdpChecksumValid(o)); // mandatory over IPv6 (RFC 8200 section 8.1)
        Assert.Equal(new byte[] { 0x08, 0, 0, 0, 0, 0, 42, 0 }, o.AsSpan(62, 8).ToArray());
    }

    [Fact]
    public void PortAndTtlAreConfigurable()
    {
        var rig = new VxlanRig(port: 8472, ttl: 17);
        var inner = Inner(R1Mac);
        var o = rig.Run(inner, C1).Bytes;
        Assert.Equal(8472, BinaryPrimitives.ReadUInt16BigEndian(o.AsSpan(36)));
        Assert.Equal(17, o[14 + 8]);
        Assert.Equal(rig.ExpectedEncapsulation(inner, rig.VtepB, BMac, rig.SourcePortOf(o), port: 8472, ttl: 17), o);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneFlowKeepsOneSourcePortAndFlowsSpreadOverTheRange(bool ipv6)
    {
        var rig = new VxlanRig(ipv6: ipv6);
        // One flow: same addresses and ports, different payloads and lengths.
        var first = rig.SourcePortOf(rig.Run(Inner(R1Mac, payload: 18), C1).Bytes);
        for (var length = 19; length < 40; length++)
        {
            Assert.Equal(first, rig.SourcePortOf(rig.Run(Inner(R1Mac, payload: length), C1).Bytes));
        }
        // 64 flows (inner UDP source ports): all in range, spread over many ports.
        var ports = new HashSet<ushort>();
        for (ushort flow = 0; flow < 64; flow++)
        {
            var port = rig.SourcePortOf(rig.Run(Inner(R1Mac, sourcePort: (ushort)(10000 + flow)), C1).Bytes);
            Assert.InRange(port, (ushort)32768, (ushort)60999);
            ports.Add(port);
        }
        Assert.True(ports.Count >= 48, $"64 flows used only {ports.Count} source ports");
    }

    // Fragments of one datagram carry no ports after the first: all hash on the addresses alone, so they share one
    // outer port (one underlay path, kept in order).
    [Fact]
    public void FragmentsOfOneDatagramShareTheSourcePort()
    {
        var rig = new VxlanRig();
        var first = Inner(R1Mac, payload: 64);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(first.AsSpan(14 + 6), 0x2000); // MF, offset 0
        var later = Inner(R1Mac, sourcePort: 0x4142, payload: 64); // its "ports" are data bytes
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(later.AsSpan(14 + 6), 0x0008); // offset 64
        var unfragmented = Inner(R1Mac, payload: 64);
        var port = rig.SourcePortOf(rig.Run(first, C1).Bytes);
        Assert.Equal(port, rig.SourcePortOf(rig.Run(later, C1).Bytes));
        Assert.NotEqual(port, rig.SourcePortOf(rig.Run(unfragmented, C1).Bytes));
    }

    [Fact]
    public void ANarrowSourcePortRangeIsRespectedAndFullyUsed()
    {
        var rig = new VxlanRig(sourcePortMin: 50000, sourcePortMax: 50003);
        var ports = new HashSet<ushort>();
        for (ushort flow = 0; flow < 64; flow++)
        {
            var port = rig.SourcePortOf(rig.Run(Inner(R1Mac, sourcePort: (ushort)(20000 + flow)), C1).Bytes);
            Assert.InRange(port, (ushort)50000, (ushort)50003);
            ports.Add(port);
        }
        Assert.Equal(4, ports.Count);
    }

    // draft-smith-vxlan-group-policy: | G I | Group Policy ID 100 | VNI 42 |
    [Fact]
    public void GbpCarriesTheMembersGroupPolicyId()
    {
        var rig = new VxlanRig(gbp: true);
        var inner = Inner(R1Mac);
        var o = rig.Run(inner, C1).Bytes;
        Assert.Equal(new byte[] { 0x88, 0, 0, 100, 0, 0, 42, 0 }, o.AsSpan(42, 8).ToArray());
        Assert.Equal(rig.ExpectedEncapsulation(inner, rig.VtepB, BMac, rig.SourcePortOf(o), flags: 0x88, groupPolicy: 100), o);
        Assert.Equal(1, rig.Counters.GbpSent);
    }

    [Fact]
    public void WithoutGbpTheGroupPolicyIsNotSent()
    {
        var rig = new VxlanRig(gbp: false);
        var o = rig.Run(Inner(R1Mac), C1).Bytes;
        Assert.Equal(new byte[] { 0x08, 0, 0, 0, 0, 0, 42, 0 }, o.AsSpan(42, 8).ToArray());
        Assert.Equal(0, rig.Counters.GbpSent);
    }

    [Fact]
    public void WithGbpAMemberWithoutAPolicySendsNoGFlag()
    {
        var rig = new VxlanRig(gbp: true);
        var o = rig.Run(Inner(R1Mac, srcMac: C2Mac), C2).Bytes;
        Assert.Equal(new byte[] { 0x08, 0, 0, 0, 0, 0, 42, 0 }, o.AsSpan(42, 8).ToArray());
    }

    [Fact]
    public void TooLittleHeadroomIsADropNotAnOverwrite()
    {
        var rig = new VxlanRig();
        var result = rig.Run(Inner(R1Mac), C1, headroom: 32);
        Assert.Equal(Verdict.Drop, result.Verdict);
        Assert.Equal(DropReason.TooBig, result.Reason);
        Assert.Equal(0, rig.Counters.Encapsulated);
    }

    [Fact]
    public void AVtepWithoutRouteOrNeighbourIsANoNeighbourDropAndAMissForTheRefresher()
    {
        var rig = new VxlanRig();
        // A MAC learned behind 198.18.0.7: no route covers it, it is taken as on-link on the uplink, with no neighbour entry yet.
        rig.Learned.Learn(Vni, MacAddress.Parse(R2Mac).Value, -1, VtepAddress.Parse("198.18.0.7"), Environment.TickCount64);
        var result = rig.Run(Inner(R2Mac), C1);
        Assert.Equal(Verdict.Drop, result.Verdict);
        Assert.Equal(DropReason.NoNeighbour, result.Reason);
        Span<Xdp.Runtime.Routing.NeighbourMiss> misses = new Xdp.Runtime.Routing.NeighbourMiss[4];
        Assert.Equal(1, rig.Forwarding.Misses.Drain(misses));
        Assert.Equal("198.18.0.7", misses[0].ToIPAddress().ToString());
        Assert.Equal(Up, misses[0].EgressInterface);
    }
}
