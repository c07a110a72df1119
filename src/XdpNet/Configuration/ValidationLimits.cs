using System.Globalization;

namespace XdpNet.Configuration;

/// <summary>Facts about the machine the configuration is checked against (injectable for tests).</summary>
public sealed record ValidationLimits(int ProcessorCount, int PageSize)
{
    public static ValidationLimits Current => new(MachineCpuCount(), Environment.SystemPageSize);

    /// <summary>
    /// CPUs of the machine, not of this process: Environment.ProcessorCount follows the affinity mask, so under
    /// <c>taskset -c 1</c> it says 1 and would refuse <c>Node:Cpu = 1</c>, which the worker can still be pinned to.
    /// Read from /sys/devices/system/cpu/possible ("0-1", "0,2-3"): the highest CPU number plus one.
    /// </summary>
    internal static int MachineCpuCount(string path = "/sys/devices/system/cpu/possible")
    {
        try
        {
            var highest = -1;
            foreach (var part in File.ReadAllText(path).Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var last = part.Split('-')[^1];
                highest = Math.Max(highest, int.Parse(last, CultureInfo.InvariantCulture));
            }
            return highest >= 0 ? highest + 1 : Environment.ProcessorCount;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return Environment.ProcessorCount;
        }
    }
}
