using System.Net;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Wire;

public class Ipv6HeaderTests
{
    private static byte[] GoldenIp() => Hex.Bytes(GoldenFrames.Ipv6Udp)[14..];

    [Fact]
    public void DeconstructsGoldenHeader()
    {
        var bytes = GoldenIp();
        Assert.True(Ipv6Header.TryCreate(bytes, out var ip));
        Assert.Equal(6, ip.Version);
        Assert.Equal(0, ip.TrafficClass);
        Assert.Equal(0u, ip.FlowLabel);
        Assert.Equal(13, ip.PayloadLength);
        Assert.Equal(53, ip.TotalLength);
        Assert.Equal(IpProtocol.Udp, ip.NextHeader);
        Assert.Equal(64, ip.HopLimit);
        Assert.Equal(NetworkOrder.AddressV6(IPAddress.Parse("2001:db8:a::1")), ip.SourceAddress);
        Assert.Equal(NetworkOrder.AddressV6(IPAddress.Parse("2001:db8:b::2")), ip.DestinationAddress);
        Assert.Equal(IPAddress.Parse("2001:db8:b::2"), new IPAddress(ip.DestinationBytes));
        Assert.Equal(13, ip.Payload.Length);
    }

    [Fact]
    public void BuilderReproducesScapyBytes()
    {
        var built = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01")
            .Ipv6("2001:db8:a::1", "2001:db8:b::2", hopLimit: 64).Udp(4000, 80, "hello"u8.ToArray()).Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv6Udp), built);
        var icmp = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01")
            .Ipv6("2001:db8:a::1", "2001:db8:b::2").IcmpEcho(7, 1, "ping"u8.ToArray()).Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv6Icmp), icmp);
    }

    [Fact]
    public void ReadsTrafficClassAndFlowLabel()
    {
        var bytes = GoldenIp();
        bytes[0] = 0x6A;
        bytes[1] = 0xBC;
        bytes[2] = 0xDE;
        bytes[3] = 0xF1;
        Assert.True(Ipv6Header.TryCreate(bytes, out var ip));
        Assert.Equal(0xAB, ip.TrafficClass);
        Assert.Equal(0xCDEF1u, ip.FlowLabel);
    }

    [Fact]
    public void RefusesWrongVersionLongPayloadAndShortBuffer()
    {
        var bytes = GoldenIp();
        bytes[0] = 0x40;
        Assert.False(Ipv6Header.TryCreate(bytes, out _, out var error));
        Assert.Equal(Ipv6Header.Error.BadHeader, error);

        bytes = GoldenIp();
        bytes[5] = 14; // payload length one past the buffer
        Assert.False(Ipv6Header.TryCreate(bytes, out _, out error));
        Assert.Equal(Ipv6Header.Error.BadHeader, error);

        Assert.False(Ipv6Header.TryCreate(GoldenIp().AsSpan(0, 39), out _, out error));
        Assert.Equal(Ipv6Header.Error.Truncated, error);
    }
}
