using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Wire;
using Xdp.Vxlan;
using static Xdp.Runtime.Tests.Vxlan.VxlanRig;

namespace Xdp.Runtime.Tests.Vxlan;

/// <summary>
/// The forwarding database: static entries from the configuration, MACs learned from traffic (local members and, from
/// decapsulated frames, inner source -> outer source VTEP), ageing, and the full-window rule.
/// </summary>
public class VxlanFdbTests
{
    private static readonly ulong R2 = MacAddress.Parse(R2Mac).Value;

    [Fact]
    public void AStaticEntryWinsOverALearnedOne()
    {
        var rig = new VxlanRig();
        rig.Learned.Learn(Vni, MacAddress.Parse(R1Mac).Value, -1, VtepAddress.Parse(rig.VtepC), Environment.TickCount64);
        var o = rig.Run(Inner(R1Mac), C1).Bytes;
        Assert.Equal(rig.VtepB, rig.OuterDestination(o));
    }

    // | B -> up | VTEP C -> A | VNI 42 | R2 -> bcast | ==> learned R2 -> VTEP C; then | c1 -> R2 | goes to C only
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheInnerSourceIsLearnedBehindTheOuterSourceVtep(bool ipv6)
    {
        var rig = new VxlanRig(ipv6: ipv6);
        var emitter = new RecordingEmitter();
        Assert.Equal(Verdict.Tx, rig.Run(rig.Outer(Vni, ArpRequest(R2Mac, R2Ip, C1Ip), from: rig.VtepC), Up, emitter).Verdict);

        Assert.True(rig.Learned.TryLookup(Vni, R2, Environment.TickCount64, out var local, out var remote));
        Assert.Equal(-1, local);
        Assert.Equal(VtepAddress.Parse(rig.VtepC), remote);
        Assert.Equal(1, rig.Counters.Learned);

        var result = rig.Run(Inner(R2Mac), C1, new RecordingEmitter());
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(rig.VtepC, rig.OuterDestination(result.Bytes));
        Assert.Equal(CMac, MacAddress.Read(result.Bytes).ToString());
    }

    [Fact]
    public void LearningCanBeSwitchedOffPerSegment()
    {
        var rig = new VxlanRig(learning: false); // off in VNI 42, on in VNI 43
        rig.Run(rig.Outer(Vni, ArpRequest(R2Mac, R2Ip, C1Ip), from: rig.VtepC), Up, new RecordingEmitter());
        rig.Run(rig.Outer(OtherVni, ArpRequest(R2Mac, R2Ip, C1Ip), from: rig.VtepC), Up, new RecordingEmitter());
        Assert.False(rig.Learned.TryLookup(Vni, R2, Environment.TickCount64, out _, out _));
        Assert.True(rig.Learned.TryLookup(OtherVni, R2, Environment.TickCount64, out _, out _));

        // Unknown, so flooded: c2 and both flood VTEPs.
        var flooded = rig.Counters.Flooded;
        var emitter = new RecordingEmitter();
        rig.Run(Inner(R2Mac), C1, emitter);
        Assert.Equal(2, emitter.Copies.Count);
        Assert.Equal(flooded + 1, rig.Counters.Flooded);
    }

    [Fact]
    public void AStaticMacIsNotLearnedFromTraffic()
    {
        var rig = new VxlanRig();
        rig.Run(rig.Outer(Vni, Inner(C1Mac, srcMac: R1Mac), from: rig.VtepC), Up, new RecordingEmitter());
        Assert.False(rig.Learned.TryLookup(Vni, MacAddress.Parse(R1Mac).Value, Environment.TickCount64, out _, out _));
    }

    // | c2 -> bcast | teaches c2's port; | c1 -> c2 | is then switched locally, unchanged, never encapsulated.
    [Fact]
    public void LocalSourcesAreLearnedAndFramesBetweenMembersAreSwitchedLocally()
    {
        var rig = new VxlanRig();
        rig.Run(ArpRequest(C2Mac, C2Ip, C1Ip), C2, new RecordingEmitter());
        Assert.True(rig.Learned.TryLookup(Vni, MacAddress.Parse(C2Mac).Value, Environment.TickCount64, out var local, out _));
        Assert.Equal(C2, local);

        var encapsulated = rig.Counters.Encapsulated; // the broadcast's flood copies
        var inner = Inner(C2Mac, dstIp: C2Ip);
        var result = rig.Run(inner, C1);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Equal(C2, result.Egress);
        Assert.Equal(inner, result.Bytes);
        Assert.Equal(Headroom, result.Offset);
        Assert.Equal(1, rig.Counters.LocalSwitched);
        Assert.Equal(encapsulated, rig.Counters.Encapsulated);
    }

    [Fact]
    public void AFrameToAMacBehindItsOwnPortIsAHairpinDrop()
    {
        var rig = new VxlanRig();
        rig.Run(Inner(R1Mac), C1); // c1 learned on c1
        var result = rig.Run(Inner(C1Mac, srcMac: "02:00:00:00:c1:02"), C1);
        Assert.Equal(Verdict.Drop, result.Verdict);
        Assert.Equal(DropReason.Hairpin, result.Reason);
    }

    [Fact]
    public void AMovedMacIsRelearnedAtItsNewPlace()
    {
        var rig = new VxlanRig();
        rig.Run(rig.Outer(Vni, Inner(C1Mac, srcMac: R2Mac), from: rig.VtepB), Up, new RecordingEmitter());
        rig.Run(rig.Outer(Vni, Inner(C1Mac, srcMac: R2Mac), from: rig.VtepC), Up, new RecordingEmitter());
        Assert.Equal(2, rig.Counters.Learned);
        Assert.Equal(rig.VtepC, rig.OuterDestination(rig.Run(Inner(R2Mac), C1).Bytes));

        // Now it shows up behind a local member (a container migrated here).
        rig.Run(Inner(R1Mac, srcMac: R2Mac), C2);
        Assert.True(rig.Learned.TryLookup(Vni, R2, Environment.TickCount64, out var local, out _));
        Assert.Equal(C2, local);
        Assert.Equal(C2, rig.Run(Inner(R2Mac), C1).Egress);
    }

    [Fact]
    public void LearnReportsUnchangedRefreshedLearnedAndMovedAtExplicitTimes()
    {
        var b = VtepAddress.Parse("198.18.0.2");
        var c = VtepAddress.Parse("198.18.0.3");
        var fdb = new LearnedFdb(16, ageingMilliseconds: 5000);
        Assert.Equal(LearnResult.Learned, fdb.Learn(Vni, R2, -1, b, now: 0));
        Assert.Equal(LearnResult.Unchanged, fdb.Learn(Vni, R2, -1, b, now: 500)); // within the refresh granularity
        Assert.Equal(LearnResult.Refreshed, fdb.Learn(Vni, R2, -1, b, now: 1200));
        Assert.Equal(LearnResult.Learned, fdb.Learn(Vni, R2, -1, c, now: 1300)); // moved to another VTEP
        Assert.True(fdb.TryLookup(Vni, R2, 1300, out _, out var remote));
        Assert.Equal(c, remote);
        Assert.Equal(LearnResult.Learned, fdb.Learn(Vni, R2, 3, default, now: 1400)); // moved to a local member
        Assert.True(fdb.TryLookup(Vni, R2, 1400, out var local, out _));
        Assert.Equal(3, local);
        // Another VNI is another key.
        Assert.False(fdb.TryLookup(OtherVni, R2, 1400, out _, out _));
    }

    [Fact]
    public void EntriesAgeOutAfterTheAgeingTime()
    {
        var b = VtepAddress.Parse("198.18.0.2");
        var fdb = new LearnedFdb(16, ageingMilliseconds: 5000);
        fdb.Learn(Vni, R2, -1, b, now: 1000);
        Assert.True(fdb.TryLookup(Vni, R2, 6000, out _, out _)); // exactly the ageing time: still there
        Assert.False(fdb.TryLookup(Vni, R2, 6001, out _, out _));
        Assert.Single(fdb.Snapshot(6000));
        Assert.Empty(fdb.Snapshot(6001));
        var entry = fdb.Snapshot(3000)[0];
        Assert.Equal(2000, entry.AgeMilliseconds);
        Assert.Equal(b, entry.Remote);
        Assert.Equal(Vni, entry.Vni);
        // A refresh moves the deadline.
        fdb.Learn(Vni, R2, -1, b, now: 5500);
        Assert.True(fdb.TryLookup(Vni, R2, 10_500, out _, out _));
        Assert.False(fdb.TryLookup(Vni, R2, 10_501, out _, out _));
        // An expired entry is learned again as new.
        Assert.Equal(LearnResult.Learned, fdb.Learn(Vni, R2, -1, b, now: 20_000));
    }

    // Capacity 8 -> 16 slots = one probe window: every key probes the whole table, so the rule is exercised exactly.
    [Fact]
    public void AFullWindowRefusesNewMacsAndNeverEvictsLiveOnes()
    {
        var b = VtepAddress.Parse("198.18.0.2");
        var fdb = new LearnedFdb(8, ageingMilliseconds: 5000);
        Assert.Equal(LearnedFdb.ProbeWindow, fdb.SlotCount);
        for (ulong i = 0; i < 16; i++) Assert.Equal(LearnResult.Learned, fdb.Learn(Vni, 0x0200_0000_1000UL + i, -1, b, now: 0));
        Assert.Equal(LearnResult.Full, fdb.Learn(Vni, 0x0200_0000_2000UL, -1, b, now: 100));
        Assert.False(fdb.TryLookup(Vni, 0x0200_0000_2000UL, 100, out _, out _));
        for (ulong i = 0; i < 16; i++) Assert.True(fdb.TryLookup(Vni, 0x0200_0000_1000UL + i, 100, out _, out _));
        // Known MACs are still refreshed while full.
        Assert.Equal(LearnResult.Refreshed, fdb.Learn(Vni, 0x0200_0000_1000UL, -1, b, now: 3000));

        // Once the others expired, a new MAC takes an expired slot; the refreshed one is kept.
        Assert.Equal(LearnResult.Learned, fdb.Learn(Vni, 0x0200_0000_2000UL, -1, b, now: 6000));
        Assert.True(fdb.TryLookup(Vni, 0x0200_0000_2000UL, 6000, out _, out _));
        Assert.True(fdb.TryLookup(Vni, 0x0200_0000_1000UL, 6000, out _, out _));
    }

    [Fact]
    public void TheStageCountsFdbFullAndFloodsTheUnlearnedMacsFrames()
    {
        var rig = new VxlanRig(learned: new LearnedFdb(8, 300_000));
        for (var i = 0; i < 16; i++) rig.Run(Inner(R1Mac, srcMac: $"02:00:00:00:e0:{i:x2}"), C1);
        Assert.Equal(16, rig.Counters.Learned);
        Assert.Equal(0, rig.Counters.FdbFull);
        rig.Run(Inner(R1Mac, srcMac: "02:00:00:00:e1:00"), C1);
        Assert.Equal(1, rig.Counters.FdbFull);
        // Frames to the unlearned MAC from a remote are flooded to the members (as unknown unicast).
        var emitter = new RecordingEmitter();
        var result = rig.Run(rig.Outer(Vni, Inner("02:00:00:00:e1:00", srcMac: R1Mac)), Up, emitter);
        Assert.Equal(Verdict.Tx, result.Verdict);
        Assert.Single(emitter.Copies);
    }

    [Fact]
    public void ForgettingARemovedInterfaceExpiresOnlyItsMacs()
    {
        var fdb = new LearnedFdb(16, ageingMilliseconds: 5000);
        const ulong A = 0x0200_0000_0001, B = 0x0200_0000_0002;
        fdb.Learn(Vni, A, 3, default, now: 1000);
        fdb.Learn(Vni, B, 4, default, now: 1000);
        Assert.Equal(1, fdb.Forget(3));
        Assert.False(fdb.TryLookup(Vni, A, 1001, out _, out _));
        Assert.True(fdb.TryLookup(Vni, B, 1001, out var local, out _));
        Assert.Equal(4, local);
        // The MAC can be learned again, behind whichever interface it shows up on next.
        Assert.Equal(LearnResult.Learned, fdb.Learn(Vni, A, 5, default, now: 1002));
    }
}
