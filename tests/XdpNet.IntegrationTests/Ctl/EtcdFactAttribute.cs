namespace XdpNet.IntegrationTests.Ctl;

/// <summary>A fact that needs root and Debian's etcd-server (scripts/deps.sh installs it); skipped with the reason otherwise.</summary>
public sealed class EtcdFactAttribute : FactAttribute
{
    public EtcdFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "needs root: runs etcd inside a new network namespace";
        }
        else if (!File.Exists("/usr/bin/etcd"))
        {
            Skip = "needs /usr/bin/etcd (apt-get install etcd-server; scripts/deps.sh)";
        }
    }
}
