using Xdp.Filter.Conntrack;
using Xdp.Runtime.Wire;
using static Xdp.Filter.Tests.Conntrack.ConntrackPackets;

namespace Xdp.Filter.Tests.Conntrack;

/// <summary>Loose pickup of a TCP connection met mid-stream (nf_conntrack_tcp_loose): only an ACK without SYN/RST/FIN of an unknown flow.</summary>
public class PickupTests
{
    private readonly ConntrackTable _table = new(new ConntrackSettings(Capacity: 1024));

    [Theory]
    [InlineData("198.18.0.1", "198.19.0.2")]
    [InlineData("2001:db8:2::2", "2001:db8:1::1")]
    public void AMidStreamAckIsPickedUpEstablishedAndBothDirectionsThenPass(string client, string server)
    {
        var ack = Parse(Tcp(client, 40000, server, 80, TcpHeader.Flag.Ack, payload: 100));
        Assert.Equal(ConntrackVerdict.Invalid, _table.Track(ack, 1000, out _));
        Assert.Equal(ConntrackVerdict.New, _table.Pickup(ack, 1000));
        var entry = _table.Find(ack.Tuple, 1000);
        Assert.NotNull(entry);
        Assert.Equal(FlowState.Established, entry.State);
        Assert.True(entry.Assured);
        Assert.Equal(ConntrackVerdict.Established, _table.Track(Parse(Tcp(server, 80, client, 40000, TcpHeader.Flag.Ack)), 1001, out var direction));
        Assert.Equal(FlowDirection.Reply, direction);
        Assert.Equal(ConntrackVerdict.Established, _table.Track(ack, 1002, out _));
    }

    [Theory]
    [InlineData(TcpHeader.Flag.Syn)]
    [InlineData(TcpHeader.Flag.Syn | TcpHeader.Flag.Ack)]
    [InlineData(TcpHeader.Flag.Rst | TcpHeader.Flag.Ack)]
    [InlineData(TcpHeader.Flag.Fin | TcpHeader.Flag.Ack)]
    [InlineData(TcpHeader.Flag.Psh)]
    public void OnlyAPlainAckIsPickedUp(TcpHeader.Flag flags)
    {
        Assert.Equal(ConntrackVerdict.Invalid, _table.Pickup(Parse(Tcp("198.18.0.1", 40000, "198.19.0.2", 80, flags)), 1000));
        Assert.Equal(0, _table.Counters.Entries);
    }

    [Fact]
    public void AKnownFlowIsNotPickedUpAgainNorAUdpFlow()
    {
        var syn = Parse(Tcp("198.18.0.1", 40000, "198.19.0.2", 80, TcpHeader.Flag.Syn));
        Assert.Equal(ConntrackVerdict.New, _table.Create(syn, 1000));
        Assert.Equal(ConntrackVerdict.Invalid, _table.Pickup(Parse(Tcp("198.18.0.1", 40000, "198.19.0.2", 80, TcpHeader.Flag.Ack)), 1001));
        Assert.Equal(ConntrackVerdict.Invalid, _table.Pickup(Parse(Udp("198.18.0.1", 5000, "198.19.0.2", 53)), 1001));
        Assert.Equal(1, _table.Counters.Entries);
    }
}
