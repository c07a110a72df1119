using System.Net;
using Xdp.Filter.Conntrack;
using static Xdp.Filter.Tests.Conntrack.ConntrackPackets;

namespace Xdp.Filter.Tests.Conntrack;

public class ListingTests
{
    [Fact]
    public void SnapshotListsLiveFlowsInTheirOriginalDirection()
    {
        var settings = new ConntrackSettings(Capacity: 256, TcpSynMilliseconds: 120_000);
        var table = new ConntrackTable(settings);
        // The originator sorts higher than the responder: the listing must still show it as the source.
        var syn = Parse(Tcp("2001:db8:9::9", 50000, "2001:db8:1::1", 22, Syn));
        table.Create(syn, 1_000);
        table.Track(Parse(Tcp("2001:db8:1::1", 22, "2001:db8:9::9", 50000, SynAck)), 1_010, out _);
        var udp = Parse(Udp("198.18.0.7", 4000, "198.19.0.8", 4001, payload: 12));
        table.Create(udp, 2_000);
        table.Create(Parse(Udp("198.18.0.9", 4000, "198.19.0.8", 4001)), 0);

        var now = 2_000 + settings.UdpMilliseconds - 1;
        var entries = table.Snapshot(now).OrderBy(e => e.Protocol).ToList();
        Assert.Equal(2, entries.Count); // the UDP flow created at 0 has expired

        var tcp = entries[0];
        Assert.Equal(IPAddress.Parse("2001:db8:9::9"), tcp.Source);
        Assert.Equal(50000, tcp.SourcePort);
        Assert.Equal(IPAddress.Parse("2001:db8:1::1"), tcp.Destination);
        Assert.Equal(22, tcp.DestinationPort);
        Assert.Equal("SYN_RECV", tcp.StateName);
        Assert.Equal(now - 1_000, tcp.AgeMilliseconds);
        Assert.Equal(1_010 + settings.TcpSynMilliseconds - now, tcp.RemainingMilliseconds);
        Assert.Equal(1UL, tcp.PacketsOriginal);
        Assert.Equal(1UL, tcp.PacketsReply);
        Assert.Equal(60UL, tcp.BytesReply);

        var flow = entries[1];
        Assert.Equal(IPAddress.Parse("198.18.0.7"), flow.Source);
        Assert.Equal(IPAddress.Parse("198.19.0.8"), flow.Destination);
        Assert.Equal(17, flow.Protocol);
        Assert.Equal(1, flow.RemainingMilliseconds);
        Assert.Equal((ulong)(20 + 8 + 12), flow.BytesOriginal);
        Assert.Equal(3, table.Count); // listing does not remove
    }
}
