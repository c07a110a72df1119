using XdpNet.Configuration;

namespace Xdp.Runtime.Tests.Host;

public class ValidationLimitsTests
{
    [Theory]
    [InlineData("0-1\n", 2)]
    [InlineData("0\n", 1)]
    [InlineData("0,2-3\n", 4)]
    [InlineData("0-63\n", 64)]
    public void MachineCpuCountIsTheHighestPossibleCpuPlusOne(string possible, int expected)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, possible);
            Assert.Equal(expected, ValidationLimits.MachineCpuCount(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
