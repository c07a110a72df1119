using System.Net;
using Xdp.Filter.Conntrack;
using Xdp.Runtime.Wire;
using static Xdp.Filter.Tests.Conntrack.ConntrackPackets;

namespace Xdp.Filter.Tests.Conntrack;

public class ConntrackPacketTests
{
    [Fact]
    public void Ipv4TcpParsesItsTupleFlagsAndLength()
    {
        var packet = Parse(Tcp("198.18.0.1", 40000, "198.19.0.2", 80, SynAck, payload: 7));
        Assert.Equal(ConntrackPacketKind.Tcp, packet.Kind);
        Assert.Equal(FlowTuple.Create(IPAddress.Parse("198.18.0.1"), IPAddress.Parse("198.19.0.2"), IpProtocol.Tcp, 40000, 80), packet.Tuple);
        Assert.Equal(IPAddress.Parse("198.18.0.1"), packet.Tuple.SourceAddress);
        Assert.False(packet.Tuple.IsIpv6);
        Assert.Equal(SynAck, packet.TcpFlags);
        Assert.Equal(20 + 20 + 7, packet.Length);
    }

    [Fact]
    public void Ipv6UdpBehindExtensionHeadersParses()
    {
        var udp = Udp("2001:db8:1::1", 1, "2001:db8:2::2", 2);
        // Insert an 8-byte Destination Options header between the fixed header and UDP.
        var withOptions = new byte[udp.Length + 8];
        udp.AsSpan(0, 40).CopyTo(withOptions);
        withOptions[6] = IpProtocol.Ipv6DestinationOptions;
        withOptions[5] += 8;
        withOptions[40] = IpProtocol.Udp;
        withOptions[42] = 1; // PadN
        withOptions[43] = 4;
        udp.AsSpan(40).CopyTo(withOptions.AsSpan(48));
        var packet = Parse(withOptions);
        Assert.Equal(ConntrackPacketKind.Udp, packet.Kind);
        Assert.Equal((ushort)1, packet.Tuple.SourcePort);
        Assert.Equal((ushort)2, packet.Tuple.DestinationPort);
        Assert.True(packet.Tuple.IsIpv6);
        Assert.Equal(IPAddress.Parse("2001:db8:2::2"), packet.Tuple.DestinationAddress);
    }

    [Fact]
    public void TruncatedTransportHeadersAreRefused()
    {
        var tcp = Ip("198.18.0.1", "198.19.0.2", IpProtocol.Tcp, new byte[12]);
        Assert.False(ConntrackPacket.TryParseIpv4(tcp, out _));
        var udp6 = Ip("2001:db8:1::1", "2001:db8:2::2", IpProtocol.Udp, new byte[4]);
        Assert.False(ConntrackPacket.TryParseIpv6(udp6, out _));
        Assert.False(ConntrackPacket.TryParseIpv4(new byte[10], out _));
        Assert.False(ConntrackPacket.TryParseIpv6(Udp("198.18.0.1", 1, "198.19.0.2", 2), out _));
    }

    [Fact]
    public void QuotedPacketTupleIsTheQuotedPacketsOwn()
    {
        var quoted = Tcp("2001:db8:1::1", 40000, "2001:db8:2::2", 443, Syn);
        var packet = Parse(Error("2001:db8:ff::1", "2001:db8:1::1", Icmpv6Header.TypeDestinationUnreachable, 1, quoted, quoteLength: 48));
        Assert.Equal(ConntrackPacketKind.IcmpError, packet.Kind);
        Assert.Equal(Parse(quoted).Tuple, packet.Quoted);
        Assert.Equal(Icmpv6Header.TypeDestinationUnreachable, packet.IcmpType);
    }

    [Fact]
    public void EchoIdentifierIsBothPortsSoTheReplyIsTheRequestReversed()
    {
        var request = Parse(Echo("198.18.0.1", "198.19.0.2", 0xBEEF, 1, request: true));
        var reply = Parse(Echo("198.19.0.2", "198.18.0.1", 0xBEEF, 1, request: false));
        Assert.Equal(ConntrackPacketKind.EchoRequest, request.Kind);
        Assert.Equal(ConntrackPacketKind.EchoReply, reply.Kind);
        Assert.Equal(request.Tuple.Reversed(), reply.Tuple);
    }
}
