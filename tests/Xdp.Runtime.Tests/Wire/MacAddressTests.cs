using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Wire;

public class MacAddressTests
{
    [Fact]
    public void ParsesFormatsAndRoundTripsThroughBytes()
    {
        var mac = MacAddress.Parse("02:00:00:0A:0b:01");
        Assert.Equal(0x0200_000A_0B01UL, mac.Value);
        Assert.Equal("02:00:00:0a:0b:01", mac.ToString());

        var bytes = new byte[8];
        mac.WriteTo(bytes.AsSpan(1));
        Assert.Equal(new byte[] { 0, 0x02, 0, 0, 0x0A, 0x0B, 0x01, 0 }, bytes);
        Assert.Equal(mac, MacAddress.Read(bytes.AsSpan(1)));
        Assert.Equal(mac, MacAddress.Parse("02-00-00-0a-0b-01"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("02:00:00:00:00")]
    [InlineData("02:00:00:00:00:0g")]
    [InlineData("02:00:00-00:00:01")]
    [InlineData("02:00:00:00:00:001")]
    public void RefusesMalformedText(string text)
    {
        Assert.False(MacAddress.TryParse(text, out _));
        Assert.Throws<FormatException>(() => MacAddress.Parse(text));
    }

    [Fact]
    public void ClassifiesBroadcastAndMulticast()
    {
        Assert.True(MacAddress.Broadcast.IsBroadcast);
        Assert.True(MacAddress.Parse("33:33:00:00:00:01").IsMulticast);
        Assert.False(MacAddress.Parse("02:00:00:00:00:01").IsMulticast);
        Assert.True(MacAddress.Zero.IsZero);
    }
}
