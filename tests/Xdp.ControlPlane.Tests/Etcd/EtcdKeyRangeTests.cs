using Xdp.ControlPlane.Etcd;

namespace Xdp.ControlPlane.Tests.Etcd;

public sealed class EtcdKeyRangeTests
{
    [Theory]
    [InlineData(new byte[] { 0x61 }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0x61, 0xFF }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0x61, 0xFE }, new byte[] { 0x61, 0xFF })]
    [InlineData(new byte[] { 0xFF, 0xFF }, new byte[] { 0x00 })]
    public void PrefixEndIncrementsTheLastByteBelow0xFF(byte[] prefix, byte[] expected) =>
        Assert.Equal(expected, EtcdKeyRange.PrefixEnd(prefix));

    [Fact]
    public void PrefixIsTheHalfOpenIntervalOfItsKeys()
    {
        var range = EtcdKeyRange.Prefix("/xdpnet/");
        Assert.Equal("/xdpnet/"u8.ToArray(), range.Key);
        Assert.Equal("/xdpnet0"u8.ToArray(), range.RangeEnd);
        Assert.True(EtcdKeyRange.Single("/a").IsSingleKey);
        Assert.Equal(new byte[] { 0 }, EtcdKeyRange.Prefix(string.Empty).RangeEnd);
    }
}
