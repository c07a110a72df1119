using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Wire;

public class Ipv6ExtensionWalkerTests
{
    private static byte[] Ip(string golden) => Hex.Bytes(golden)[14..];

    [Fact]
    public void NoExtensionHeadersFindsTransportRightAfterFixedHeader()
    {
        Assert.True(Ipv6Header.TryCreate(Ip(GoldenFrames.Ipv6Udp), out var ip));
        Assert.True(ip.TryFindTransport(out var protocol, out var offset));
        Assert.Equal(IpProtocol.Udp, protocol);
        Assert.Equal(40, offset);
        Assert.Equal(0, ip.WalkExtensions().ExtensionHeaders);
    }

    [Fact]
    public void WalksHopByHopAndDestinationOptionsOfGoldenPacket()
    {
        // | 2001:db8:a::1 -> 2001:db8:b::2 | HBH | DstOpt | UDP 4000 -> 80 "hello" |
        Assert.True(Ipv6Header.TryCreate(Ip(GoldenFrames.Ipv6HopByHopDestinationUdp), out var ip));
        Assert.True(ip.TryFindTransport(out var protocol, out var offset));
        Assert.Equal(IpProtocol.Udp, protocol);
        Assert.Equal(56, offset);
        Assert.Equal(2, ip.WalkExtensions().ExtensionHeaders);
        Assert.True(UdpHeader.TryCreate(ip.PacketBytes.Slice(offset), out var udp));
        Assert.Equal(4000, udp.SourcePort);
        Assert.True(Checksum.IsTransportValid(ip));
    }

    [Fact]
    public void BuilderReproducesScapyExtensionChains()
    {
        var built = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv6("2001:db8:a::1", "2001:db8:b::2")
            .HopByHop().DestinationOptions().Udp(4000, 80, "hello"u8.ToArray()).Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv6HopByHopDestinationUdp), built);
        var routed = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv6("2001:db8:a::1", "2001:db8:b::2")
            .Routing(4, 0, "2001:db8:c::3").Udp(4000, 80, "hello"u8.ToArray()).Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv6RoutingUdp), routed);
    }

    [Fact]
    public void FirstFragmentHasTransportButIsMarkedFragment()
    {
        Assert.True(Ipv6Header.TryCreate(Ip(GoldenFrames.Ipv6FirstFragmentUdp), out var ip));
        var chain = ip.WalkExtensions();
        Assert.Equal(Ipv6ChainStatus.Transport, chain.Status);
        Assert.True(chain.IsFragment);
        Assert.Equal(IpProtocol.Udp, chain.Protocol);
        Assert.Equal(48, chain.Offset);
        Assert.True(ip.TryFindTransport(out _, out _));
        // The checksum covers the reassembled datagram: it cannot be computed from one fragment.
        Assert.False(Checksum.TryComputeTransport(ip, out _));
    }

    [Fact]
    public void NonFirstFragmentHasNoTransport()
    {
        Assert.True(Ipv6Header.TryCreate(Ip(GoldenFrames.Ipv6SecondFragment), out var ip));
        var chain = ip.WalkExtensions();
        Assert.Equal(Ipv6ChainStatus.NonFirstFragment, chain.Status);
        Assert.Equal(IpProtocol.Udp, chain.Protocol);
        Assert.False(ip.TryFindTransport(out _, out _));
        var built = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv6("2001:db8:a::1", "2001:db8:b::2", nextHeader: IpProtocol.Udp)
            .Fragment(3, false, 0x1234).Payload("yyyyyyyyyyyyyyyy"u8.ToArray()).Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv6SecondFragment), built);
    }

    [Fact]
    public void RoutingHeaderWithSegmentsLeftIsPendingAndNotChecksummed()
    {
        var bytes = Ip(GoldenFrames.Ipv6RoutingUdp);
        Assert.True(Ipv6Header.TryCreate(bytes, out var ip));
        Assert.False(ip.WalkExtensions().HasPendingRouting);
        Assert.True(Checksum.IsTransportValid(ip));
        bytes[43] = 1; // Segments Left 1: this destination is not the final one
        Assert.True(Ipv6Header.TryCreate(bytes, out ip));
        Assert.True(ip.WalkExtensions().HasPendingRouting);
        Assert.True(ip.TryFindTransport(out var protocol, out var offset));
        Assert.Equal((IpProtocol.Udp, 64), (protocol, offset));
        Assert.False(Checksum.TryComputeTransport(ip, out _));
    }

    [Fact]
    public void AuthenticationHeaderLengthCountsInFourOctetUnits()
    {
        // AH (RFC 4302 section 2.2): Payload Len 4 -> (4 + 2) * 4 = 24 bytes.
        var ah = new byte[24];
        ah[1] = 4;
        var frame = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv6("2001:db8:a::1", "2001:db8:b::2")
            .Extension(IpProtocol.Ah, ah).Tcp(1, 2).Build();
        Assert.True(Ipv6Header.TryCreate(frame.AsSpan(14), out var ip));
        Assert.True(ip.TryFindTransport(out var protocol, out var offset));
        Assert.Equal((IpProtocol.Tcp, 64), (protocol, offset));
        Assert.True(Checksum.IsTransportValid(ip));
    }

    [Fact]
    public void NoNextHeaderEndsWithoutTransport()
    {
        var frame = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv6("2001:db8:a::1", "2001:db8:b::2", nextHeader: IpProtocol.Ipv6NoNext)
            .DestinationOptions().Payload([]).Build();
        Assert.True(Ipv6Header.TryCreate(frame.AsSpan(14), out var ip));
        Assert.Equal(Ipv6ChainStatus.NoNextHeader, ip.WalkExtensions().Status);
        Assert.False(ip.TryFindTransport(out _, out _));
    }

    [Fact]
    public void HopByHopAfterTheFirstHeaderIsMalformed()
    {
        var frame = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv6("2001:db8:a::1", "2001:db8:b::2")
            .DestinationOptions().HopByHop().Udp(1, 2).Build();
        Assert.True(Ipv6Header.TryCreate(frame.AsSpan(14), out var ip));
        Assert.Equal(Ipv6ChainStatus.Malformed, ip.WalkExtensions().Status);
    }

    [Fact]
    public void ChainIsBounded()
    {
        var builder = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv6("2001:db8:a::1", "2001:db8:b::2");
        for (var i = 0; i < Ipv6ExtensionWalker.MaxHeaders; i++) builder.DestinationOptions();
        Assert.True(Ipv6Header.TryCreate(builder.Udp(1, 2).Build().AsSpan(14), out var ip));
        Assert.Equal(Ipv6ChainStatus.Transport, ip.WalkExtensions().Status);
        Assert.True(Ipv6Header.TryCreate(builder.DestinationOptions().Udp(1, 2).Build().AsSpan(14), out ip));
        Assert.Equal(Ipv6ChainStatus.TooManyHeaders, ip.WalkExtensions().Status);
    }

    [Fact]
    public void TruncatedChainsAreRefusedAtEveryCut()
    {
        // Cut the payload length at every byte inside the extension headers: never reads past it, never throws.
        var golden = Ip(GoldenFrames.Ipv6HopByHopDestinationUdp);
        for (var payload = 0; payload < 16; payload++)
        {
            var bytes = golden[..(40 + payload)];
            bytes[4] = 0;
            bytes[5] = (byte)payload;
            Assert.True(Ipv6Header.TryCreate(bytes, out var ip));
            Assert.Equal(Ipv6ChainStatus.Truncated, ip.WalkExtensions().Status);
        }
        // A header length byte pointing past the packet.
        var longer = Ip(GoldenFrames.Ipv6HopByHopDestinationUdp);
        longer[49] = 200;
        Assert.True(Ipv6Header.TryCreate(longer, out var bad));
        Assert.Equal(Ipv6ChainStatus.Truncated, bad.WalkExtensions().Status);
        Assert.Equal(Ipv6ChainStatus.Truncated, Ipv6ExtensionWalker.Walk(longer.AsSpan(0, 39)).Status);
        Assert.Equal(Ipv6ChainStatus.Truncated, Ipv6ExtensionWalker.Walk(longer, IpProtocol.HopByHop, -8).Status);
        Assert.Equal(Ipv6ChainStatus.Truncated, Ipv6ExtensionWalker.Walk(longer, IpProtocol.HopByHop, longer.Length + 1).Status);
        Assert.Equal(Ipv6ChainStatus.Transport, Ipv6ExtensionWalker.Walk(longer, IpProtocol.Udp, longer.Length).Status);
    }

    [Fact]
    public void RandomChainsNeverThrowAndStayInBounds()
    {
        var random = new Random(8200);
        var bytes = new byte[128];
        byte[] types = [IpProtocol.HopByHop, IpProtocol.Ipv6Routing, IpProtocol.Ipv6Fragment, IpProtocol.Ipv6DestinationOptions, IpProtocol.Ah, IpProtocol.Udp];
        for (var i = 0; i < 20_000; i++)
        {
            random.NextBytes(bytes);
            for (var at = 40; at < bytes.Length; at += 8) bytes[at] = types[random.Next(types.Length)];
            bytes[6] = types[random.Next(types.Length)];
            var length = random.Next(0, bytes.Length + 1);
            var chain = Ipv6ExtensionWalker.Walk(bytes.AsSpan(0, length));
            if (chain.Status == Ipv6ChainStatus.Transport) Assert.InRange(chain.Offset, 40, length);
            Assert.InRange(chain.ExtensionHeaders, 0, Ipv6ExtensionWalker.MaxHeaders);
        }
    }
}
