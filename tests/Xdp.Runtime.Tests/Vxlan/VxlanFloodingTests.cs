using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Wire;
using static Xdp.Runtime.Tests.Vxlan.VxlanRig;

namespace Xdp.Runtime.Tests.Vxlan;

/// <summary>
/// Head-end replication (RFC 7348 section 4.2, ingress replication as in RFC 8365 section 9.1): broadcast, multicast
/// and unknown unicast from a member go to every other member and every flood VTEP; copies first, the original to the
/// last target. From the overlay they go to the members only (split horizon). Segments never see each other's frames.
/// </summary>
public class VxlanFloodingTests
{
    // | c1 -> bcast | ARP | ==A==> copy c2 | copy encap -> B | original encap -> C
    [Theory]
    [InlineData(false, "ff:ff:ff:ff:ff:ff")]
    [InlineData(false, "33:33:00:00:00:01")]
    [InlineData(false, R2Mac)]
    [InlineData(true, "ff:ff:ff:ff:ff:ff")]
    public void FromAMemberCopiesGoToEveryOtherMemberAndEveryFloodVtep(bool ipv6, string destination)
    {
        var rig = new VxlanRig(ipv6: ipv6);
        var emitter = new RecordingEmitter();
        var frame = destination == R2Mac ? Inner(R2Mac) : Support.PacketBuilder.Ethernet(destination, C1Mac)
            .Arp(ArpPacket.OperationRequest, C1Mac, C1Ip, "00:00:00:00:00:00", R1Ip).PadTo(60).Build();
        var result = rig.Run(frame, C1, emitter);

        Assert.Equal(2, emitter.Copies.Count);
        var toMember = emitter.Copies[0];
        Assert.Equal((Verdict.Tx, C2), (toMember.Verdict, toMember.Egress));
        Assert.Equal(frame, toMember.Bytes);
        var toB = emitter.Copies[1];
        Assert.Equal((Verdict.Tx, Up), (toB.Verdict, toB.Egress));
        Assert.Equal(rig.VtepB, rig.OuterDestination(toB.Bytes));
        Assert.Equal(rig.ExpectedEncapsulation(frame, rig.VtepB, BMac, rig.SourcePortOf(toB.Bytes), FlowLabel(toB.Bytes, ipv6)), toB.Bytes);

        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(Up, result.Egress);
        Assert.Equal(rig.ExpectedEncapsulation(frame, rig.VtepC, CMac, rig.SourcePortOf(result.Bytes), FlowLabel(result.Bytes, ipv6)), result.Bytes);
        Assert.Equal(Headroom - rig.Overhead, result.Offset); // the original is encapsulated in place

        Assert.Equal(1, rig.Counters.Flooded);
        Assert.Equal(2, rig.Counters.FloodCopies);
        Assert.Equal(2, rig.Counters.Encapsulated);
    }

    // | B -> up | VNI 42 | R2 -> bcast | ==A==> copy c1 | original c2; nothing back into the overlay
    [Fact]
    public void FromTheOverlayOnlyMembersGetCopies()
    {
        var rig = new VxlanRig();
        var emitter = new RecordingEmitter();
        var inner = ArpRequest(R2Mac, R2Ip, C1Ip);
        var result = rig.Run(rig.Outer(Vni, inner), Up, emitter);

        var copy = Assert.Single(emitter.Copies);
        Assert.Equal((Verdict.Tx, C1), (copy.Verdict, copy.Egress));
        Assert.Equal(inner, copy.Bytes);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(C2, result.Egress);
        Assert.Equal(inner, result.Bytes);
        Assert.Equal(0, rig.Counters.Encapsulated);
    }

    [Fact]
    public void UnknownUnicastFromTheOverlayGoesToTheMembersOnly()
    {
        var rig = new VxlanRig();
        var emitter = new RecordingEmitter();
        var inner = Inner("02:00:00:00:99:99", srcMac: R2Mac);
        var result = rig.Run(rig.Outer(Vni, inner), Up, emitter);
        Assert.Equal(C1, Assert.Single(emitter.Copies).Egress);
        Assert.Equal(C2, result.Egress);
    }

    [Fact]
    public void OneVnisFramesNeverReachAnotherVnisMember()
    {
        var rig = new VxlanRig();
        // c3 (VNI 43) broadcasts: only VTEP B, with VNI 43; never c1 or c2.
        var emitter = new RecordingEmitter();
        var result = rig.Run(ArpRequest(C3Mac, "198.19.43.3", "198.19.43.9"), C3, emitter);
        Assert.Empty(emitter.Copies);
        Assert.Equal(Up, result.Egress);
        Assert.Equal(new byte[] { 0x08, 0, 0, 0, 0, 0, 43, 0 }, result.Bytes.AsSpan(42, 8).ToArray());

        // c1 is known in VNI 42; a VNI 43 frame to c1's MAC is unknown there: delivered to c3 only.
        rig.Run(Inner(R1Mac), C1);
        emitter = new RecordingEmitter();
        result = rig.Run(rig.Outer(OtherVni, Inner(C1Mac, srcMac: R2Mac)), Up, emitter);
        Assert.Empty(emitter.Copies);
        Assert.Equal((Verdict.Tx, C3), (result.Verdict, result.Egress));

        // VNI 43 broadcast from the overlay: c3 only.
        emitter = new RecordingEmitter();
        result = rig.Run(rig.Outer(OtherVni, ArpRequest(R2Mac, R2Ip, C1Ip)), Up, emitter);
        Assert.Empty(emitter.Copies);
        Assert.Equal(C3, result.Egress);

        // c3's MAC is known (on c3, VNI 43); c1 sending to it floods in VNI 42: c3 never gets it.
        emitter = new RecordingEmitter();
        result = rig.Run(Inner(C3Mac), C1, emitter);
        Assert.DoesNotContain(emitter.Copies, c => c.Egress == C3);
        Assert.NotEqual(C3, result.Egress);
        Assert.Equal(2, emitter.Copies.Count); // c2 and VTEP B; VTEP C gets the original
    }

    // A reload keeps the learned MACs (ConfigReloader builds a new VxlanStage over the same LearnedFdb when MaxLearned is
    // unchanged). If c2 moved from VNI 42 to VNI 43, its entry (VNI 42, c2's MAC) -> c2 must not carry VNI 42 frames
    // into a VNI 43 member: isolation cannot depend on an entry ageing out (a bridge flushes a port's entries when it
    // leaves).
    private static VxlanRig ReloadedWithC2MovedToVni43()
    {
        var learned = new Xdp.Vxlan.LearnedFdb(1024, 300_000);
        var before = new VxlanRig(learned: learned);
        before.Run(ArpRequest(C2Mac, C2Ip, C1Ip), C2, new RecordingEmitter()); // c2's MAC learned on c2, VNI 42
        return new VxlanRig(learned: learned, c2InOtherVni: true);             // reloaded: c2 is now in VNI 43
    }

    [Fact]
    public void AfterAReloadMovesAMemberToAnotherVniALocalFrameDoesNotFollowItsOldEntry()
    {
        var rig = ReloadedWithC2MovedToVni43();
        var emitter = new RecordingEmitter();
        var result = rig.Run(Inner(C2Mac, dstIp: C2Ip), C1, emitter);
        Assert.False(result.Verdict == Verdict.Tx && result.Egress == C2, "a VNI 42 frame from c1 was sent to c2, now a VNI 43 member");
        Assert.DoesNotContain(emitter.Copies, c => c.Egress == C2);
    }

    [Fact]
    public void AfterAReloadMovesAMemberToAnotherVniADecapsulatedFrameDoesNotFollowItsOldEntry()
    {
        var rig = ReloadedWithC2MovedToVni43();
        var emitter = new RecordingEmitter();
        var result = rig.Run(rig.Outer(Vni, Inner(C2Mac, srcMac: R2Mac)), Up, emitter);
        Assert.False(result.Verdict == Verdict.Tx && result.Egress == C2, "a decapsulated VNI 42 frame was sent to c2, now a VNI 43 member");
        Assert.DoesNotContain(emitter.Copies, c => c.Egress == C2);
    }

    [Fact]
    public void WhenNoFrameIsFreeCopiesAreSkippedAndTheOriginalStillGoes()
    {
        var rig = new VxlanRig();
        var emitter = new RecordingEmitter { FreeFrames = 0 };
        var result = rig.Run(ArpRequest(), C1, emitter);
        Assert.Empty(emitter.Copies);
        Assert.Equal(rig.VtepC, rig.OuterDestination(result.Bytes));
        Assert.Equal(2, rig.Counters.FloodCopyFailures);
    }

    [Fact]
    public void ASegmentWithNobodyElseDropsBroadcastAsNoFloodTarget()
    {
        var rig = new VxlanRig(c3FloodsToB: false);
        var result = rig.Run(ArpRequest(C3Mac, "198.19.43.3", "198.19.43.9"), C3, new RecordingEmitter());
        Assert.Equal(Verdict.Drop, result.Verdict);
        Assert.Equal(DropReason.NoFloodTarget, result.Reason);
    }

    private static uint FlowLabel(byte[] outer, bool ipv6) =>
        ipv6 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(outer.AsSpan(14)) & 0x000F_FFFF : 0;
}
