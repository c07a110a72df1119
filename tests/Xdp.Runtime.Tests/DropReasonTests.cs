using Xdp.Runtime.Pipeline;

namespace Xdp.Runtime.Tests;

public class DropReasonTests
{
    [Theory]
    [InlineData(DropReason.NoRoute, "no-route")]
    [InlineData(DropReason.TtlExceeded, "ttl-exceeded")]
    [InlineData(DropReason.BadIpv4Header, "bad-ipv4-header")]
    public void NamesAreKebabCase(DropReason reason, string expected) => Assert.Equal(expected, DropReasons.Name(reason));
}
