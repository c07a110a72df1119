using Xdp.Filter.Conntrack;
using static Xdp.Filter.Tests.Conntrack.ConntrackPackets;

namespace Xdp.Filter.Tests.Conntrack;

public class TcpTrackingTests
{
    public static TheoryData<string, string> Hosts => new()
    {
        { "198.18.0.1", "198.19.0.2" },
        { "2001:db8:1::1", "2001:db8:2::2" },
        // The client sorts higher than the server: the stored key is the reverse of the original direction.
        { "198.19.0.2", "198.18.0.1" },
        { "2001:db8:2::2", "2001:db8:1::1" },
    };

    private readonly ConntrackTable _table = new(new ConntrackSettings(Capacity: 1024));

    private ConntrackVerdict Track(byte[] packet, long now, out FlowDirection direction) => _table.Track(Parse(packet), now, out direction);

    private ConntrackVerdict Track(byte[] packet, long now) => _table.Track(Parse(packet), now, out _);

    /// <summary>Client SYN: New, policy allows, Create.</summary>
    private void Open(string client, string server, long now)
    {
        var syn = Parse(Tcp(client, 40000, server, 80, Syn));
        Assert.Equal(ConntrackVerdict.New, _table.Track(syn, now, out _));
        Assert.Equal(ConntrackVerdict.New, _table.Create(syn, now));
    }

    private FlowState StateOf(string client, string server, long now) =>
        _table.Find(Parse(Tcp(client, 40000, server, 80, Ack)).Tuple, now)?.State ?? FlowState.None;

    // | client:40000 -> server:80 SYN | server -> client SYN-ACK | client -> server ACK | data both ways |
    [Theory]
    [MemberData(nameof(Hosts))]
    public void HandshakeReachesEstablishedAndBothDirectionsFindTheFlow(string client, string server)
    {
        Open(client, server, now: 1000);
        Assert.Equal(FlowState.SynSent, StateOf(client, server, 1000));

        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(server, 80, client, 40000, SynAck), 1001, out var direction));
        Assert.Equal(FlowDirection.Reply, direction);
        Assert.Equal(FlowState.SynReceived, StateOf(client, server, 1001));

        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(client, 40000, server, 80, Ack), 1002, out direction));
        Assert.Equal(FlowDirection.Original, direction);
        Assert.Equal(FlowState.Established, StateOf(client, server, 1002));

        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(client, 40000, server, 80, PshAck, payload: 100), 1003, out direction));
        Assert.Equal(FlowDirection.Original, direction);
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(server, 80, client, 40000, PshAck, payload: 1000), 1004, out direction));
        Assert.Equal(FlowDirection.Reply, direction);

        var entry = _table.Find(Parse(Tcp(server, 80, client, 40000, Ack)).Tuple, 1004);
        Assert.NotNull(entry);
        Assert.True(entry.Assured);
        Assert.Equal(System.Net.IPAddress.Parse(client), entry.Source);
        Assert.Equal(40000, entry.SourcePort);
        Assert.Equal(80, entry.DestinationPort);
        Assert.Equal(3UL, entry.PacketsOriginal);
        Assert.Equal(2UL, entry.PacketsReply);
        Assert.Equal(1, _table.Count);
        Assert.Equal(1, _table.Counters.Created);
        Assert.Equal(0, _table.Counters.Invalid);
    }

    // | client FIN | server ACK | server FIN | client ACK | -> TIME_WAIT, gone after the closing timeout
    [Theory]
    [MemberData(nameof(Hosts))]
    public void FinExchangeClosesTheFlow(string client, string server)
    {
        Establish(client, server, 0);

        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(client, 40000, server, 80, FinAck), 10));
        Assert.Equal(FlowState.FinWait, StateOf(client, server, 10));
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(server, 80, client, 40000, Ack), 11));
        Assert.Equal(FlowState.CloseWait, StateOf(client, server, 11));
        // Half-closed: the server may still send data.
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(server, 80, client, 40000, PshAck, payload: 10), 12));
        Assert.Equal(FlowState.CloseWait, StateOf(client, server, 12));
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(server, 80, client, 40000, FinAck), 13));
        Assert.Equal(FlowState.LastAck, StateOf(client, server, 13));
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(client, 40000, server, 80, Ack), 14));
        Assert.Equal(FlowState.TimeWait, StateOf(client, server, 14));

        var closing = ConntrackSettings.Default.TcpClosingMilliseconds;
        Assert.Equal(FlowState.TimeWait, StateOf(client, server, 14 + closing - 1));
        Assert.Equal(ConntrackVerdict.Invalid, Track(Tcp(client, 40000, server, 80, Ack), 14 + closing));
        Assert.Equal(0, _table.Count);
        Assert.Equal(1, _table.Counters.Expired);
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public void RstFromEitherSideClosesTheFlow(string client, string server)
    {
        Establish(client, server, 0);
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(server, 80, client, 40000, Rst), 5));
        Assert.Equal(FlowState.Close, StateOf(client, server, 5));

        var closing = ConntrackSettings.Default.TcpClosingMilliseconds;
        Assert.Null(_table.Find(Parse(Tcp(client, 40000, server, 80, Ack)).Tuple, 5 + closing));

        Open(client, server, 100_000);
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(client, 40000, server, 80, Rst), 100_001));
        Assert.Equal(FlowState.Close, StateOf(client, server, 100_001));
    }

    [Fact]
    public void SynAfterTimeWaitReopensTheFlowAsNew()
    {
        const string client = "198.18.0.1", server = "198.19.0.2";
        Establish(client, server, 0);
        Track(Tcp(server, 80, client, 40000, Rst), 1);
        var syn = Parse(Tcp(client, 40000, server, 80, Syn));
        Assert.Equal(ConntrackVerdict.New, _table.Track(syn, 2, out _));
        Assert.Equal(ConntrackVerdict.New, _table.Create(syn, 2));
        Assert.Equal(FlowState.SynSent, StateOf(client, server, 2));
        Assert.Equal(1, _table.Count);
        Assert.Equal(2, _table.Counters.Created);
    }

    [Theory]
    [InlineData(ConntrackPackets.Ack)]
    [InlineData(ConntrackPackets.SynAck)]
    [InlineData(ConntrackPackets.FinAck)]
    [InlineData(ConntrackPackets.Rst)]
    [InlineData(ConntrackPackets.PshAck)]
    [InlineData(Xdp.Runtime.Wire.TcpHeader.Flag.Syn | Xdp.Runtime.Wire.TcpHeader.Flag.Fin)]
    [InlineData(Xdp.Runtime.Wire.TcpHeader.Flag.None)]
    public void NonSynFirstSegmentOfAnUnknownFlowIsInvalid(Xdp.Runtime.Wire.TcpHeader.Flag flags)
    {
        var packet = Parse(Tcp("198.18.0.1", 40000, "198.19.0.2", 443, flags));
        Assert.Equal(ConntrackVerdict.Invalid, _table.Track(packet, 0, out _));
        Assert.Equal(ConntrackVerdict.Invalid, _table.Create(packet, 0));
        Assert.Equal(0, _table.Count);
        Assert.Equal(2, _table.Counters.Invalid);
    }

    [Fact]
    public void OnlySynAckOrSynAnswersASyn()
    {
        const string client = "2001:db8:1::1", server = "2001:db8:2::2";
        Open(client, server, 0);
        Assert.Equal(ConntrackVerdict.Invalid, Track(Tcp(server, 80, client, 40000, Ack), 1));
        Assert.Equal(ConntrackVerdict.Invalid, Track(Tcp(client, 40000, server, 80, Ack), 1));
        Assert.Equal(FlowState.SynSent, StateOf(client, server, 1));
        // A retransmitted SYN refreshes the flow.
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(client, 40000, server, 80, Syn), 2));
        // Unanswered for the SYN timeout: the flow is gone and a SYN starts afresh.
        Assert.Equal(ConntrackVerdict.New, Track(Tcp(client, 40000, server, 80, Syn), 2 + ConntrackSettings.Default.TcpSynMilliseconds));
        Assert.Equal(0, _table.Count);
    }

    [Fact]
    public void EstablishedFlowExpiresAfterItsTimeoutWithoutPackets()
    {
        const string client = "198.18.0.1", server = "198.19.0.2";
        Establish(client, server, 0);
        var timeout = ConntrackSettings.Default.TcpEstablishedMilliseconds;
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(client, 40000, server, 80, Ack), 2 + timeout - 1));
        // That packet restarted the timeout.
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(server, 80, client, 40000, Ack), 2 + (2 * timeout) - 2));
        Assert.Equal(ConntrackVerdict.Invalid, Track(Tcp(server, 80, client, 40000, Ack), 2 + (3 * timeout)));
        Assert.Equal(1, _table.Counters.Expired);
    }

    [Fact]
    public void ConfiguredTimeoutsApply()
    {
        var table = new ConntrackTable(new ConntrackSettings(Capacity: 64, TcpSynMilliseconds: 500));
        var syn = Parse(Tcp("198.18.0.1", 40000, "198.19.0.2", 80, Syn));
        table.Create(syn, 0);
        Assert.NotNull(table.Find(syn.Tuple, 499));
        Assert.Null(table.Find(syn.Tuple, 500));
    }

    private void Establish(string client, string server, long now)
    {
        Open(client, server, now);
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(server, 80, client, 40000, SynAck), now + 1));
        Assert.Equal(ConntrackVerdict.Established, Track(Tcp(client, 40000, server, 80, Ack), now + 2));
        Assert.Equal(FlowState.Established, StateOf(client, server, now + 2));
    }
}
