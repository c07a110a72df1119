namespace Xdp.ControlPlane.Tests.Support;

/// <summary>
/// A fact that runs a real etcd in a network namespace: skipped with a reason when the test process is not root,
/// iproute2 is missing or etcd is not installed (scripts/deps.sh installs Debian's etcd-server).
/// </summary>
public sealed class EtcdFactAttribute : FactAttribute
{
    public EtcdFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "needs root: starts etcd inside a new network namespace";
        }
        else if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip"))
        {
            Skip = "needs iproute2 (ip)";
        }
        else if (!File.Exists(EtcdServer.EtcdPath))
        {
            Skip = $"needs etcd at {EtcdServer.EtcdPath} (apt-get install etcd-server; scripts/deps.sh)";
        }
    }
}
