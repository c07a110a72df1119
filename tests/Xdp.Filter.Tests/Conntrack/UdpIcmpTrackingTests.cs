using Xdp.Filter.Conntrack;
using static Xdp.Filter.Tests.Conntrack.ConntrackPackets;

namespace Xdp.Filter.Tests.Conntrack;

public class UdpIcmpTrackingTests
{
    private readonly ConntrackTable _table = new(new ConntrackSettings(Capacity: 1024));

    private ConntrackVerdict Track(byte[] packet, long now, out FlowDirection direction) => _table.Track(Parse(packet), now, out direction);

    private ConntrackVerdict Start(byte[] packet, long now)
    {
        var parsed = Parse(packet);
        var verdict = _table.Track(parsed, now, out _);
        return verdict == ConntrackVerdict.New ? _table.Create(parsed, now) : verdict;
    }

    // | client:5353 -> server:53 UDP | server:53 -> client:5353 UDP |
    [Theory]
    [InlineData("198.18.0.1", "198.19.0.53")]
    [InlineData("2001:db8:1::1", "2001:db8:53::53")]
    public void UdpReplyMarksTheFlowReplied(string client, string server)
    {
        Assert.Equal(ConntrackVerdict.New, Start(Udp(client, 5353, server, 53, payload: 30), 0));
        var entry = _table.Find(Parse(Udp(client, 5353, server, 53)).Tuple, 0)!;
        Assert.Equal(FlowState.UdpUnreplied, entry.State);
        Assert.False(entry.Assured);
        Assert.Equal("UNREPLIED", entry.StateName);

        Assert.Equal(ConntrackVerdict.Established, Track(Udp(client, 5353, server, 53), 10, out var direction));
        Assert.Equal(FlowDirection.Original, direction);
        Assert.Equal(FlowState.UdpUnreplied, _table.Find(Parse(Udp(client, 5353, server, 53)).Tuple, 10)!.State);

        Assert.Equal(ConntrackVerdict.Established, Track(Udp(server, 53, client, 5353, payload: 100), 20, out direction));
        Assert.Equal(FlowDirection.Reply, direction);
        entry = _table.Find(Parse(Udp(server, 53, client, 5353)).Tuple, 20)!;
        Assert.Equal(FlowState.UdpReplied, entry.State);
        Assert.True(entry.Assured);
        Assert.Equal(2UL, entry.PacketsOriginal);
        Assert.Equal(1UL, entry.PacketsReply);
        Assert.Equal((ulong)Udp(server, 53, client, 5353, payload: 100).Length, entry.BytesReply);
    }

    [Fact]
    public void UdpTimeoutsDependOnWhetherTheFlowWasReplied()
    {
        var settings = ConntrackSettings.Default;
        Start(Udp("198.18.0.1", 1000, "198.19.0.2", 2000), 0);
        Assert.NotNull(_table.Find(Parse(Udp("198.18.0.1", 1000, "198.19.0.2", 2000)).Tuple, settings.UdpMilliseconds - 1));
        Assert.Null(_table.Find(Parse(Udp("198.18.0.1", 1000, "198.19.0.2", 2000)).Tuple, settings.UdpMilliseconds));

        Start(Udp("198.18.0.3", 1000, "198.19.0.2", 2000), 0);
        Track(Udp("198.19.0.2", 2000, "198.18.0.3", 1000), 1, out _);
        Assert.NotNull(_table.Find(Parse(Udp("198.18.0.3", 1000, "198.19.0.2", 2000)).Tuple, 1 + settings.UdpRepliedMilliseconds - 1));
        Assert.Null(_table.Find(Parse(Udp("198.18.0.3", 1000, "198.19.0.2", 2000)).Tuple, 1 + settings.UdpRepliedMilliseconds));
    }

    [Fact]
    public void DifferentPortsAreDifferentFlows()
    {
        Start(Udp("198.18.0.1", 1000, "198.19.0.2", 2000), 0);
        Assert.Equal(ConntrackVerdict.New, Track(Udp("198.19.0.2", 2000, "198.18.0.1", 1001), 1, out _));
        Assert.Equal(ConntrackVerdict.New, Track(Udp("198.19.0.2", 2001, "198.18.0.1", 1000), 1, out _));
        // Same addresses and ports, other protocol.
        Assert.Equal(ConntrackVerdict.New, Track(Tcp("198.18.0.1", 1000, "198.19.0.2", 2000, Syn), 1, out _));
    }

    // | client -> server ICMP echo id 0x1234 | server -> client echo reply id 0x1234 |
    [Theory]
    [InlineData("198.18.0.1", "198.19.0.2")]
    [InlineData("2001:db8:1::1", "2001:db8:2::2")]
    public void EchoReplyMatchesItsRequest(string client, string server)
    {
        Assert.Equal(ConntrackVerdict.New, Start(Echo(client, server, 0x1234, 1, request: true), 0));
        Assert.Equal(ConntrackVerdict.Established, Track(Echo(server, client, 0x1234, 1, request: false), 1, out var direction));
        Assert.Equal(FlowDirection.Reply, direction);
        var entry = _table.Find(Parse(Echo(client, server, 0x1234, 1, request: true)).Tuple, 1)!;
        Assert.Equal(FlowState.IcmpReplied, entry.State);
        Assert.Equal(0x1234, entry.SourcePort);
        Assert.Equal(ConntrackVerdict.Established, Track(Echo(client, server, 0x1234, 2, request: true), 2, out direction));
        Assert.Equal(FlowDirection.Original, direction);

        // Another identifier, or a reply nobody asked for, is not part of it.
        Assert.Equal(ConntrackVerdict.Invalid, Track(Echo(server, client, 0x1235, 1, request: false), 3, out _));
        Assert.Equal(ConntrackVerdict.Invalid, Track(Echo(client, server, 0x1234, 1, request: false), 3, out _));
        Assert.Equal(ConntrackVerdict.Invalid, Track(Echo(server, client, 0x1234, 1, request: true), 3, out _));

        var timeout = ConntrackSettings.Default.IcmpMilliseconds;
        Assert.Equal(ConntrackVerdict.Invalid, Track(Echo(server, client, 0x1234, 2, request: false), 2 + timeout, out _));
    }

    [Fact]
    public void InformationalIcmpAndOtherProtocolsAreUntracked()
    {
        var ns = new byte[24];
        ns[0] = Xdp.Runtime.Wire.Icmpv6Header.TypeNeighborSolicitation;
        Assert.Equal(ConntrackVerdict.Untracked, Track(Ip("2001:db8:1::1", "2001:db8:2::2", Xdp.Runtime.Wire.IpProtocol.Icmpv6, ns), 0, out _));
        Assert.Equal(ConntrackVerdict.Untracked, Track(Ip("198.18.0.1", "198.19.0.2", Xdp.Runtime.Wire.IpProtocol.Gre, new byte[8]), 0, out _));
        // RFC 791: a non-first fragment has no ports.
        Assert.Equal(ConntrackVerdict.Untracked, Track(Ip("198.18.0.1", "198.19.0.2", Xdp.Runtime.Wire.IpProtocol.Udp, new byte[8], fragmentOffset: 10), 0, out _));
        Assert.Equal(0, _table.Count);
    }
}
