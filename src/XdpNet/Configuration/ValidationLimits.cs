namespace XdpNet.Configuration;

/// <summary>Facts about the machine the configuration is checked against (injectable for tests).</summary>
public sealed record ValidationLimits(int ProcessorCount, int PageSize)
{
    public static ValidationLimits Current => new(Environment.ProcessorCount, Environment.SystemPageSize);
}
