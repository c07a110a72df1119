using Xdp.Runtime.Pipeline;
using static Xdp.Runtime.Tests.Vxlan.VxlanRig;

namespace Xdp.Runtime.Tests.Vxlan;

/// <summary>The per-packet paths without flooding allocate nothing (measured on this thread after warm-up).</summary>
public class VxlanAllocationTests
{
    private const int Iterations = 20_000;

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void EncapDecapAndLocalSwitchingAllocateNothing(bool ipv6, bool gbp)
    {
        var rig = new VxlanRig(ipv6: ipv6, ipv4UdpChecksum: true, gbp: gbp);
        var encap = Inner(R1Mac);                                      // static FDB -> encapsulated
        var toC2 = Inner(C2Mac, dstIp: C2Ip);                          // learned local -> switched
        var fromC2 = Inner(C1Mac, srcMac: C2Mac, dstIp: C1Ip, srcIp: C2Ip);
        var decap = rig.Outer(Vni, Inner(C1Mac, srcMac: R2Mac, dstIp: C1Ip, srcIp: R2Ip), flags: gbp ? (byte)0x88 : (byte)0x08, groupPolicy: 7);
        var remote = Inner(R2Mac);                                     // learned remote -> encapsulated

        long verdicts = 0;
        void Round()
        {
            verdicts += (int)rig.RunQuiet(encap, C1);
            verdicts += (int)rig.RunQuiet(fromC2, C2);
            verdicts += (int)rig.RunQuiet(toC2, C1);
            verdicts += (int)rig.RunQuiet(decap, Up);
            verdicts += (int)rig.RunQuiet(remote, C1);
        }
        for (var i = 0; i < 2000; i++) Round(); // warm-up: JIT tiers, learning of c1, c2 and R2

        // Every path was taken the intended way (no flood, which would need an emitter).
        Assert.Equal(Verdict.Tx, rig.RunQuiet(encap, C1));
        Assert.Equal(Verdict.Tx, rig.RunQuiet(toC2, C1));
        Assert.Equal(Verdict.Tx, rig.RunQuiet(decap, Up));
        Assert.Equal(Verdict.Tx, rig.RunQuiet(remote, C1));
        var flooded = rig.Counters.Flooded;

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++) Round();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(flooded, rig.Counters.Flooded);
        Assert.True(verdicts > 0);
    }
}
