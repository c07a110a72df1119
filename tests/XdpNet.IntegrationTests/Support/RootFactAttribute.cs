namespace XdpNet.IntegrationTests.Support;

/// <summary>
/// A fact that needs root (network namespaces, veths, XDP): skipped with a reason when the test process is
/// not privileged or iproute2 is missing, run otherwise.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "needs root: creates network namespaces, veths and attaches XDP programs";
        }
        else if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip"))
        {
            Skip = "needs iproute2 (ip)";
        }
    }
}
