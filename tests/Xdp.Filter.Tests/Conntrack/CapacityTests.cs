using Xdp.Filter.Conntrack;
using static Xdp.Filter.Tests.Conntrack.ConntrackPackets;

namespace Xdp.Filter.Tests.Conntrack;

/// <summary>The bounded table's eviction rule: an expired flow's slot first, then the unassured flow closest to expiry, else Full.</summary>
public class CapacityTests
{
    private static ConntrackTable SmallTable() => new(new ConntrackSettings(Capacity: ConntrackSettings.MinCapacity));

    /// <summary>UDP flows 198.18.0.1:port -> 198.19.0.2:53 whose two candidate groups are both group 0: one window of 16 slots.</summary>
    private static List<ConntrackPacket> FlowsInGroupZero(ConntrackTable table, int count)
    {
        var flows = new List<ConntrackPacket>();
        for (var port = 1024; flows.Count < count; port++)
        {
            var packet = Parse(Udp("198.18.0.1", (ushort)port, "198.19.0.2", 53));
            if (table.CandidateGroups(packet.Tuple) == (0u, 0u)) flows.Add(packet);
        }
        return flows;
    }

    private static ConntrackPacket ReplyOf(ConntrackPacket packet) =>
        Parse(Udp("198.19.0.2", 53, "198.18.0.1", packet.Tuple.SourcePort));

    [Fact]
    public void FullWindowOfAssuredFlowsRefusesNewFlows()
    {
        var table = SmallTable();
        var flows = FlowsInGroupZero(table, ConntrackTable.GroupSize + 1);
        for (var i = 0; i < ConntrackTable.GroupSize; i++)
        {
            Assert.Equal(ConntrackVerdict.New, table.Create(flows[i], i));
            Assert.Equal(ConntrackVerdict.Established, table.Track(ReplyOf(flows[i]), i, out _));
        }
        Assert.Equal(ConntrackVerdict.New, table.Track(flows[^1], 100, out _));
        Assert.Equal(ConntrackVerdict.Full, table.Create(flows[^1], 100));
        Assert.Equal(1, table.Counters.Full);
        Assert.Equal(0, table.Counters.Evicted);
        for (var i = 0; i < ConntrackTable.GroupSize; i++) Assert.NotNull(table.Find(flows[i].Tuple, 100));
        Assert.Null(table.Find(flows[^1].Tuple, 100));

        // Once one expires, its slot is reused.
        var expiry = ConntrackTable.GroupSize - 1 + ConntrackSettings.Default.UdpRepliedMilliseconds;
        Assert.Equal(ConntrackVerdict.New, table.Create(flows[^1], expiry));
        Assert.Equal(1, table.Counters.Expired);
        Assert.Equal(ConntrackTable.GroupSize, table.Count);
    }

    [Fact]
    public void LiveUnassuredFlowClosestToExpiryIsEvictedFirst()
    {
        var table = SmallTable();
        var flows = FlowsInGroupZero(table, ConntrackTable.GroupSize + 2);
        for (var i = 0; i < ConntrackTable.GroupSize; i++) Assert.Equal(ConntrackVerdict.New, table.Create(flows[i], i));
        // Flow 0 answered (assured): it stays although it is the oldest.
        table.Track(ReplyOf(flows[0]), 20, out _);

        Assert.Equal(ConntrackVerdict.New, table.Create(flows[ConntrackTable.GroupSize], 30));
        Assert.Equal(1, table.Counters.Evicted);
        Assert.NotNull(table.Find(flows[0].Tuple, 30));
        Assert.Null(table.Find(flows[1].Tuple, 30));
        for (var i = 2; i <= ConntrackTable.GroupSize; i++) Assert.NotNull(table.Find(flows[i].Tuple, 30));

        // Later flows 2..5 have expired: the one that expired first (2) gives its slot, nothing live is evicted.
        var now = 5 + ConntrackSettings.Default.UdpMilliseconds;
        Assert.Equal(ConntrackVerdict.New, table.Create(flows[ConntrackTable.GroupSize + 1], now));
        Assert.Equal(1, table.Counters.Evicted);
        Assert.Equal(1, table.Counters.Expired);
        Assert.Equal(ConntrackTable.GroupSize, table.Count);
        Assert.NotNull(table.Find(flows[ConntrackTable.GroupSize + 1].Tuple, now));
        Assert.NotNull(table.Find(flows[6].Tuple, now));
    }

    [Fact]
    public void TwoChoicesFillMostOfTheTableBeforeTheFirstFull()
    {
        const int capacity = 4096;
        var table = new ConntrackTable(new ConntrackSettings(Capacity: capacity));
        var created = 0;
        for (var i = 0; i < capacity; i++)
        {
            var client = $"198.18.{i >> 8}.{i & 0xFF}";
            var packet = Parse(Udp(client, (ushort)(1024 + i), "198.19.0.2", 53));
            if (table.Create(packet, 0) == ConntrackVerdict.Full) break;
            table.Track(Parse(Udp("198.19.0.2", 53, client, (ushort)(1024 + i))), 0, out _);
            created++;
        }
        Assert.True(created >= capacity * 8 / 10, $"first Full after {created} of {capacity} slots");
        Assert.Equal(created, table.Count);
    }

    [Fact]
    public void SweepRemovesExpiredFlows()
    {
        var table = new ConntrackTable(new ConntrackSettings(Capacity: 256));
        for (var i = 0; i < 100; i++) table.Create(Parse(Udp("198.18.0.1", (ushort)(2000 + i), "198.19.0.2", 53)), i < 50 ? 0 : 1000);
        var now = ConntrackSettings.Default.UdpMilliseconds + 500;
        Assert.Equal(0, table.Sweep(now, 0));
        var removed = table.Sweep(now, 128) + table.Sweep(now, 128);
        Assert.Equal(50, removed);
        Assert.Equal(50, table.Count);
        Assert.Equal(50, table.Counters.Expired);
        Assert.Equal(0, table.Sweep(now, 256));
    }

    [Fact]
    public void RemoveFindsTheFlowFromEitherDirection()
    {
        var table = new ConntrackTable(new ConntrackSettings(Capacity: 64));
        var datagram = Parse(Udp("2001:db8:1::1", 1000, "2001:db8:2::2", 2000));
        table.Create(datagram, 0);
        Assert.True(table.Remove(datagram.Tuple.Reversed()));
        Assert.False(table.Remove(datagram.Tuple));
        Assert.Equal(0, table.Count);
        Assert.Equal(ConntrackVerdict.New, table.Track(datagram, 1, out _));
    }
}
