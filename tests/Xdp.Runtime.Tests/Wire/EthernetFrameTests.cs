using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Wire;

public class EthernetFrameTests
{
    [Fact]
    public void DeconstructsGoldenUntaggedFrame()
    {
        var bytes = Hex.Bytes(GoldenFrames.Ipv4Udp);
        Assert.True(EthernetFrame.TryCreate(bytes, out var frame));
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:02"), frame.Destination);
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:01"), frame.Source);
        Assert.Equal(EtherType.Ipv4, frame.EtherType);
        Assert.Equal(0, frame.VlanTagCount);
        Assert.Equal(14, frame.PayloadOffset);
        Assert.Equal(0x45, frame.Payload[0]);
    }

    [Fact]
    public void SkipsVlanTag()
    {
        var bytes = Hex.Bytes(GoldenFrames.Ipv4UdpVlan100);
        Assert.True(EthernetFrame.TryCreate(bytes, out var frame));
        Assert.Equal(EtherType.Ipv4, frame.EtherType);
        Assert.Equal(EtherType.Vlan, frame.OuterEtherType);
        Assert.Equal(1, frame.VlanTagCount);
        Assert.Equal(100, frame.OuterVlanId);
        Assert.Equal(18, frame.PayloadOffset);
    }

    [Fact]
    public void SkipsQinQButBoundsTheTagCount()
    {
        var two = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01", 10, 20).Ipv6("2001:db8::1", "2001:db8::2").Udp(1, 2).Build();
        Assert.True(EthernetFrame.TryCreate(two, out var frame));
        Assert.Equal(EtherType.Ipv6, frame.EtherType);
        Assert.Equal(22, frame.PayloadOffset);

        var three = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01", 10, 20, 30).Ipv6("2001:db8::1", "2001:db8::2").Udp(1, 2).Build();
        Assert.False(EthernetFrame.TryCreate(three, out _));
    }

    [Fact]
    public void RefusesShortFramesAndTruncatedTags()
    {
        Assert.False(EthernetFrame.TryCreate(new byte[13], out _));
        Assert.True(EthernetFrame.TryCreate(new byte[14], out _));
        var tagged = Hex.Bytes(GoldenFrames.Ipv4UdpVlan100);
        Assert.False(EthernetFrame.TryCreate(tagged.AsSpan(0, 17), out _));
        Assert.True(EthernetFrame.TryCreate(tagged.AsSpan(0, 18), out var empty));
        Assert.Equal(0, empty.Payload.Length);
    }

    [Fact]
    public void WritesAddresses()
    {
        var bytes = Hex.Bytes(GoldenFrames.Ipv4Udp);
        Assert.True(EthernetFrame.TryCreate(bytes, out var frame));
        frame.Destination = MacAddress.Parse("02:aa:bb:cc:dd:ee");
        frame.Source = MacAddress.Parse("02:11:22:33:44:55");
        Assert.Equal(Hex.Bytes("02aabbccddee021122334455"), bytes[..12]);
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv4Udp)[12..], bytes[12..]);
    }
}
