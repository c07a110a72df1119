using System.Net;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Wire;

public class Ipv4HeaderTests
{
    private static byte[] GoldenIp() => Hex.Bytes(GoldenFrames.Ipv4Udp)[14..];

    [Fact]
    public void DeconstructsGoldenHeader()
    {
        var bytes = GoldenIp();
        Assert.True(Ipv4Header.TryCreate(bytes, out var ip));
        Assert.Equal(4, ip.Version);
        Assert.Equal(20, ip.HeaderLength);
        Assert.Equal(33, ip.TotalLength);
        Assert.True(ip.DontFragment);
        Assert.False(ip.MoreFragments);
        Assert.Equal(0, ip.FragmentOffset);
        Assert.Equal(64, ip.Ttl);
        Assert.Equal(IpProtocol.Udp, ip.Protocol);
        Assert.Equal(0xada3, ip.HeaderChecksum);
        Assert.True(ip.IsChecksumValid);
        Assert.Equal(NetworkOrder.AddressV4(IPAddress.Parse("198.18.0.1")), ip.SourceAddress);
        Assert.Equal(NetworkOrder.AddressV4(IPAddress.Parse("198.19.1.2")), ip.DestinationAddress);
        Assert.Equal(0xC613_0102u, NetworkOrder.ToHost(ip.DestinationAddress));
        Assert.Equal(13, ip.Payload.Length);
    }

    [Fact]
    public void BuilderReproducesScapyBytes()
    {
        var built = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01")
            .Ipv4("198.18.0.1", "198.19.1.2", ttl: 64).Udp(4000, 80, "hello"u8.ToArray()).Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv4Udp), built);
        var icmp = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01")
            .Ipv4("198.18.0.1", "198.19.1.2").IcmpEcho(7, 1, "ping"u8.ToArray()).Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv4Icmp), icmp);
        var vlan = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01", 100)
            .Ipv4("198.18.0.1", "198.19.1.2").Udp(4000, 80, "hello"u8.ToArray()).Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv4UdpVlan100), vlan);
    }

    [Fact]
    public void DetectsCorruptedChecksum()
    {
        var bytes = GoldenIp();
        bytes[8] = 63; // TTL changed without updating the checksum
        Assert.True(Ipv4Header.TryCreate(bytes, out var ip));
        Assert.False(ip.IsChecksumValid);
        ip.FillChecksum();
        Assert.True(ip.IsChecksumValid);
    }

    [Fact]
    public void DecrementTtlKeepsChecksumEqualToRecomputation()
    {
        var bytes = GoldenIp();
        for (var ttl = 255; ttl >= 2; ttl--)
        {
            Assert.True(Ipv4Header.TryCreate(bytes, out var ip));
            ip.Ttl = (byte)ttl;
            ip.FillChecksum();
            ip.DecrementTtl();
            Assert.Equal(ttl - 1, ip.Ttl);
            var incremental = ip.HeaderChecksum;
            ip.FillChecksum();
            Assert.Equal(ip.HeaderChecksum, incremental);
        }
    }

    [Theory]
    [InlineData(0, 0x55)] // version 5
    [InlineData(0, 0x44)] // IHL 4
    [InlineData(0, 0x4F)] // IHL 15 (60 bytes) > total length 33
    [InlineData(3, 19)]   // total length < header length
    [InlineData(3, 34)]   // total length > buffer
    public void RefusesImpossibleHeaders(int offset, byte value)
    {
        var bytes = GoldenIp();
        bytes[offset] = value;
        Assert.False(Ipv4Header.TryCreate(bytes, out _, out var error));
        Assert.Equal(Ipv4Header.Error.BadHeader, error);
    }

    [Fact]
    public void RefusesShortBufferAsTruncated()
    {
        Assert.False(Ipv4Header.TryCreate(GoldenIp().AsSpan(0, 19), out _, out var error));
        Assert.Equal(Ipv4Header.Error.Truncated, error);
    }

    [Fact]
    public void HeaderWithOptionsExposesThem()
    {
        var bytes = new byte[28];
        bytes[0] = 0x46; // IHL 6
        bytes[3] = 28;
        bytes[20] = 0x01; // NOP option
        Assert.True(Ipv4Header.TryCreate(bytes, out var ip));
        Assert.Equal(24, ip.HeaderLength);
        Assert.Equal(4, ip.Options.Length);
        Assert.Equal(4, ip.Payload.Length);
    }

    [Fact]
    public void AllZeroChecksumHeaderIsNotValid()
    {
        var bytes = GoldenIp();
        bytes[10] = bytes[11] = 0;
        Assert.True(Ipv4Header.TryCreate(bytes, out var ip));
        Assert.False(ip.IsChecksumValid);
    }
}
