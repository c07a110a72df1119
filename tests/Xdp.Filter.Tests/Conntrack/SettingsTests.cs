using Xdp.Filter.Conntrack;

namespace Xdp.Filter.Tests.Conntrack;

public class SettingsTests
{
    [Fact]
    public void DefaultsAreValid() => Assert.Empty(ConntrackSettings.Default.Validate());

    [Theory]
    [InlineData(1000)]
    [InlineData(32)]
    [InlineData(0)]
    [InlineData(1 << 27)]
    public void CapacityMustBeAPowerOfTwoInRange(int capacity)
    {
        var problems = new ConntrackSettings(Capacity: capacity).Validate();
        Assert.Equal(nameof(ConntrackSettings.Capacity), Assert.Single(problems).Setting);
        var thrown = Assert.Throws<ArgumentException>(() => new ConntrackTable(new ConntrackSettings(Capacity: capacity)));
        Assert.Contains("Capacity", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimeoutsMustBePositiveAndEachProblemNamesItsSetting()
    {
        var problems = new ConntrackSettings(TcpEstablishedMilliseconds: 0, UdpMilliseconds: -5).Validate();
        Assert.Equal(
            new[] { nameof(ConntrackSettings.TcpEstablishedMilliseconds), nameof(ConntrackSettings.UdpMilliseconds) },
            problems.Select(p => p.Setting).ToArray());
    }
}
