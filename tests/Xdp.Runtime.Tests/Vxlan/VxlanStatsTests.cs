using System.Text.Json;
using XdpNet.Host;
using XdpNet.Stats;
using static Xdp.Runtime.Tests.Vxlan.VxlanRig;

namespace Xdp.Runtime.Tests.Vxlan;

/// <summary>What <c>xdpnet stats --json</c> shows of the VTEP: counters under stages.vxlan, learned FDB entries under vxlan.fdb.</summary>
public class VxlanStatsTests
{
    [Fact]
    public void CountersAndLearnedEntriesAppearInTheSnapshot()
    {
        var rig = new VxlanRig();
        rig.Run(Inner(R1Mac), C1);                                                              // encapsulated; c1 learned on c1
        rig.Run(rig.Outer(Vni, Inner(C1Mac, srcMac: R2Mac), from: rig.VtepC), Up);              // decapsulated; R2 learned behind C

        var snapshot = new StatsSnapshot();
        HostStats.AddVxlan(snapshot, rig.Stage, enabled: true, rig.Forwarding);

        var counters = snapshot.Stages["vxlan"];
        Assert.Equal(1, counters["encapsulated"]);
        Assert.Equal(1, counters["decapsulated"]);
        Assert.Equal(2, counters["learned"]);
        var vxlan = snapshot.Vxlan!;
        Assert.Equal("198.18.0.1", vxlan.Vtep);
        Assert.Equal(4789, vxlan.Port);
        Assert.Equal([Vni, OtherVni], vxlan.Vnis);
        var local = Assert.Single(vxlan.Fdb, e => e.Mac == C1Mac);
        Assert.Equal(("c1", (string?)null, Vni), (local.Interface, local.Vtep, local.Vni));
        var remote = Assert.Single(vxlan.Fdb, e => e.Mac == R2Mac);
        Assert.Equal(((string?)null, "198.18.0.3"), (remote.Interface, remote.Vtep));
        Assert.InRange(remote.AgeSeconds, 0, 5);

        var json = JsonSerializer.Serialize(snapshot, StatsJsonContext.Default.StatsSnapshot);
        Assert.Contains("\"fdb\":[", json, StringComparison.Ordinal);
        Assert.Contains("\"local_switched\":0", json, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutSegmentsThereIsNoVxlanSection()
    {
        var rig = new VxlanRig();
        var snapshot = new StatsSnapshot();
        HostStats.AddVxlan(snapshot, rig.Stage, enabled: false, rig.Forwarding);
        Assert.Null(snapshot.Vxlan);
        Assert.False(snapshot.Stages.ContainsKey("vxlan"));
    }
}
