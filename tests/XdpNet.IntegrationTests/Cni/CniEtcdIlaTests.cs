using System.Globalization;
using System.Net;
using System.Text.Json;
using XdpNet.IntegrationTests.ControlPlane;
using XdpNet.IntegrationTests.Ctl;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Cni;

/// <summary>
/// The orchestrator path across hosts with ILA: two ILA hosts (<see cref="EtcdIlaTopology"/>) run xdpnet against one
/// real etcd with no mapping anywhere; xdpnet-cni attaches a container on each host (identifiers from each host's own
/// range); each xdpnet publishes its new endpoint in etcd with an identifier -> own locator mapping, the other host
/// picks it up, and the containers reach each other by SIR address. DEL withdraws it again.
/// <code>
///   [ca 2001:db8:5151::1:0:0:100] -- [A: xdpnet, locator 2001:db8:a::] == underlay == [B: xdpnet, locator 2001:db8:b::] -- [cb ...:1:0:0:200]
///                                       \______________ etcd (control network) ______________/
/// </code>
/// </summary>
[Collection("netns")]
public sealed class CniEtcdIlaTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    private static string NetworkConfig(string socket, string dataDir, string range) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["cniVersion"] = "1.0.0",
        ["name"] = "ila-etcd",
        ["type"] = "xdpnet-cni",
        ["mode"] = "ila",
        ["sirPrefix"] = EtcdIlaTopology.SirPrefix,
        ["identifierRange"] = range,
        ["socket"] = socket,
        ["dataDir"] = dataDir,
    });

    private static bool PingEventually(NetNs from, string address, int attempts)
    {
        for (var i = 0; i < attempts; i++)
        {
            if (from.Exec(TimeSpan.FromSeconds(10), "ping", "-6", "-c", "1", "-W", "1", address).Succeeded) return true;
            Thread.Sleep(300);
        }
        return false;
    }

    [EtcdFact]
    public void ContainersAttachedOnTwoIlaHostsReachEachOtherBySirAddressThroughEtcd()
    {
        using var etcd = EtcdControlNetwork.Start();
        using var t = EtcdIlaTopology.Create("ab");
        var dir = Directory.CreateTempSubdirectory("xdpnet-cni-eila-").FullName;
        var processes = new List<XdpNetProcess>();
        var containers = new List<NetNs>();
        try
        {
            var configs = new Dictionary<char, string>();
            foreach (var h in "ab")
            {
                etcd.Attach(t[h].Ns);
                var hostDir = Path.Combine(dir, h.ToString());
                Directory.CreateDirectory(hostDir);
                var path = t.WriteConfig(h, hostDir, EtcdControlNetwork.Url, "/xdpnet/");
                var x = XdpNetProcess.Start(t[h].Ns, "run", "--config", path, $"--Node:StateDirectory={Path.Combine(hostDir, "state")}");
                processes.Add(x);
                x.WaitReady(Startup);
                configs[h] = NetworkConfig(EtcdIlaTopology.StatsSocket(hostDir), Path.Combine(hostDir, "ipam"), h == 'a' ? "1:0:0:100-1:0:0:1ff" : "1:0:0:200-1:0:0:2ff");
            }
            string Why() => string.Concat(processes.Select((x, i) => $"\n--- xdpnet {(char)('A' + i)} ---\n{x.Output}")) + $"\n--- etcd ---\n{etcd.Log()}";

            var address = new Dictionary<char, string>();
            var ns = new Dictionary<char, NetNs>();
            foreach (var h in "ab")
            {
                ns[h] = NetNs.Create("cni-eila-c" + h);
                containers.Add(ns[h]);
                var r = new CniPluginRunner(t[h].Ns).Invoke("ADD", configs[h], "ctr-" + h, "/run/netns/" + ns[h].Name, "eth0", "LABELS=app=" + h);
                Assert.True(r.ExitCode == 0, r + Why());
                using var doc = r.Json;
                address[h] = doc.RootElement.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];
            }
            Assert.Equal(IPAddress.Parse("2001:db8:5151::1:0:0:100"), IPAddress.Parse(address['a']));
            Assert.Equal(IPAddress.Parse("2001:db8:5151::1:0:0:200"), IPAddress.Parse(address['b']));

            Assert.True(PingEventually(ns['a'], address['b'], 30), "ca (A) -> cb (B) by SIR address" + Why());
            Assert.Contains("1:0:0:200", etcd.Ctl("mapping", "list").EnsureSuccess().StdOut, StringComparison.Ordinal);
            Assert.True(PingEventually(ns['b'], address['a'], 10), "cb (B) -> ca (A) by SIR address" + Why());

            foreach (var h in "ab")
            {
                var r = new CniPluginRunner(t[h].Ns).Invoke("DEL", configs[h], "ctr-" + h, "/run/netns/" + ns[h].Name);
                Assert.True(r.ExitCode == 0, r + Why());
            }
            // The hosts withdraw what they published: no mapping of either identifier is left in etcd.
            var left = "";
            for (var i = 0; i < 50; i++)
            {
                left = etcd.Ctl("mapping", "list").EnsureSuccess().StdOut;
                if (!left.Contains("1:0:0:100", StringComparison.Ordinal) && !left.Contains("1:0:0:200", StringComparison.Ordinal)) break;
                Thread.Sleep(200);
            }
            Assert.DoesNotContain("1:0:0:200", left, StringComparison.Ordinal);
            Assert.DoesNotContain("1:0:0:100", left, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var c in containers) c.Dispose();
            foreach (var x in processes)
            {
                Command.Run("kill", "-TERM", x.Pid.ToString(CultureInfo.InvariantCulture));
                try
                {
                    x.WaitExit(TimeSpan.FromSeconds(20));
                }
                catch (TimeoutException)
                {
                }
                x.Dispose();
            }
            Directory.Delete(dir, recursive: true);
        }
    }
}
