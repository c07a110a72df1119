using Xdp.Filter.Conntrack;
using Xdp.Runtime.Wire;
using static Xdp.Filter.Tests.Conntrack.ConntrackPackets;

namespace Xdp.Filter.Tests.Conntrack;

/// <summary>ICMP errors quoting a tracked flow are related (RFC 1122 section 3.2.2, RFC 4443 section 2.4); others are invalid.</summary>
public class RelatedErrorTests
{
    private const string Client4 = "198.18.0.1", Server4 = "198.19.0.2", Router4 = "198.18.255.254";
    private const string Client6 = "2001:db8:1::1", Server6 = "2001:db8:2::2", Router6 = "2001:db8:ff::1";

    private readonly ConntrackTable _table = new(new ConntrackSettings(Capacity: 1024));

    private void Start(byte[] packet, long now)
    {
        var parsed = Parse(packet);
        Assert.Equal(ConntrackVerdict.New, _table.Track(parsed, now, out _));
        Assert.Equal(ConntrackVerdict.New, _table.Create(parsed, now));
    }

    private ConntrackVerdict Track(byte[] packet, long now, out FlowDirection direction) => _table.Track(Parse(packet), now, out direction);

    // | router -> client ICMP dest unreachable, frag needed | quoting client:40000 -> server:80 TCP (IP header + 8 bytes) |
    [Fact]
    public void Ipv4FragmentationNeededQuotingATrackedTcpFlowIsRelated()
    {
        var syn = Tcp(Client4, 40000, Server4, 80, Syn);
        Start(syn, 0);
        var data = Tcp(Client4, 40000, Server4, 80, PshAck, payload: 1400);
        var error = Error(Router4, Client4, Icmpv4Header.TypeDestinationUnreachable, 4, data, quoteLength: Ipv4Header.MinHeaderLength + 8, word: 1280);
        Assert.Equal(ConntrackVerdict.Related, Track(error, 1, out var direction));
        Assert.Equal(FlowDirection.Reply, direction);
        Assert.Equal(1, _table.Counters.Related);
        // The error does not advance the flow.
        Assert.Equal(FlowState.SynSent, _table.Find(Parse(syn).Tuple, 1)!.State);
    }

    // | server -> client ICMP port unreachable | quoting the server's own reply server:53 -> client:5353 |
    [Fact]
    public void Ipv4ErrorQuotingTheReplyDirectionIsRelated()
    {
        Start(Udp(Client4, 5353, Server4, 53), 0);
        var reply = Udp(Server4, 53, Client4, 5353, payload: 20);
        var error = Error(Client4, Server4, Icmpv4Header.TypeDestinationUnreachable, 3, reply);
        Assert.Equal(ConntrackVerdict.Related, Track(error, 1, out var direction));
        Assert.Equal(FlowDirection.Original, direction);
    }

    [Fact]
    public void Ipv4TimeExceededQuotingAnEchoRequestIsRelated()
    {
        var ping = Echo(Client4, Server4, 7, 1, request: true);
        Start(ping, 0);
        Assert.Equal(ConntrackVerdict.Related, Track(Error(Router4, Client4, Icmpv4Header.TypeTimeExceeded, 0, ping), 1, out _));
    }

    // | router -> client ICMPv6 packet too big mtu 1280 | quoting client:40000 -> server:443 UDP |
    [Fact]
    public void Ipv6PacketTooBigQuotingATrackedFlowIsRelated()
    {
        Start(Udp(Client6, 40000, Server6, 443), 0);
        var big = Udp(Client6, 40000, Server6, 443, payload: 1400);
        // RFC 4443 section 2.4 (c): as much of the packet as fits in the minimum MTU.
        var error = Error(Router6, Client6, Icmpv6Header.TypePacketTooBig, 0, big, quoteLength: 1280 - 48, word: 1280);
        Assert.Equal(ConntrackVerdict.Related, Track(error, 1, out var direction));
        Assert.Equal(FlowDirection.Reply, direction);
    }

    [Theory]
    [InlineData(Icmpv6Header.TypeDestinationUnreachable)]
    [InlineData(Icmpv6Header.TypeTimeExceeded)]
    [InlineData(Icmpv6Header.TypeParameterProblem)]
    public void Ipv6ErrorsQuotingATrackedTcpFlowAreRelated(byte type)
    {
        var syn = Tcp(Client6, 40000, Server6, 80, Syn);
        Start(syn, 0);
        Assert.Equal(ConntrackVerdict.Related, Track(Error(Router6, Client6, type, 0, syn), 1, out _));
    }

    [Fact]
    public void ErrorsQuotingNoTrackedFlowAreInvalid()
    {
        Start(Tcp(Client4, 40000, Server4, 80, Syn), 0);
        var otherPort = Tcp(Client4, 40001, Server4, 80, Syn);
        Assert.Equal(ConntrackVerdict.Invalid, Track(Error(Router4, Client4, Icmpv4Header.TypeDestinationUnreachable, 1, otherPort), 1, out _));
        var v6 = Tcp(Client6, 40000, Server6, 80, Syn);
        Assert.Equal(ConntrackVerdict.Invalid, Track(Error(Router6, Client6, Icmpv6Header.TypeDestinationUnreachable, 0, v6), 1, out _));
        // Expired flows relate nothing.
        var quoted = Tcp(Client4, 40000, Server4, 80, Syn);
        Assert.Equal(ConntrackVerdict.Invalid,
            Track(Error(Router4, Client4, Icmpv4Header.TypeTimeExceeded, 0, quoted), ConntrackSettings.Default.TcpSynMilliseconds, out _));
        Assert.Equal(3, _table.Counters.Invalid);
    }

    [Fact]
    public void ErrorsWithAnUnreadableQuoteAreInvalid()
    {
        var syn = Tcp(Client4, 40000, Server4, 80, Syn);
        Start(syn, 0);
        // Fewer than the IP header + 8 bytes RFC 792 requires.
        var shortQuote = Parse(Error(Router4, Client4, Icmpv4Header.TypeDestinationUnreachable, 1, syn, quoteLength: 24));
        Assert.Equal(ConntrackPacketKind.IcmpErrorUnreadableQuote, shortQuote.Kind);
        Assert.Equal(ConntrackVerdict.Invalid, _table.Track(shortQuote, 1, out _));
        // An error quoting an error is never related.
        var inner = Error(Server4, Client4, Icmpv4Header.TypeDestinationUnreachable, 3, syn);
        Assert.Equal(ConntrackVerdict.Invalid, Track(Error(Router4, Server4, Icmpv4Header.TypeTimeExceeded, 0, inner), 1, out _));
    }
}
