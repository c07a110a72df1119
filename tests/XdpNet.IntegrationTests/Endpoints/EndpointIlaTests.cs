using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Ila;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Endpoints;

/// <summary>
/// An endpoint added live with a SIR address is this host's identifier: on the two ILA hosts of
/// <see cref="IlaTopology"/>, a container attached to host A through the endpoint API (not in A's file) is reached by
/// its SIR address from a container on host B (B maps the identifier to A's locator; A translates back and routes
/// by the endpoint's route) and from a container on A itself.
/// </summary>
[Collection("netns")]
public sealed class EndpointIlaTests
{
    private const string C5Mac = "02:00:00:00:51:05";

    [RootFact]
    public void AnEndpointWithASirAddressIsReachedAcrossHostsThroughItsRoute()
    {
        using var t = IlaTopology.Create();
        var dirA = Directory.CreateTempSubdirectory("xdpnet-epila-a-").FullName;
        var dirB = Directory.CreateTempSubdirectory("xdpnet-epila-b-").FullName;
        var suffix = UniqueName.Suffix(5);
        var c5Address = IlaTopology.SirAddress(5);
        XdpNetProcess? xa = null, xb = null;
        using var c5 = NetNs.Create("ila-c5");
        try
        {
            // B maps identifier 1:0:0:5 to A's locator (as a CNI plugin's publication in etcd would); A does not know it.
            xa = XdpNetProcess.Start(t.A, "run", "--config", t.WriteConfig('a', dirA), $"--Node:StateDirectory={Path.Combine(dirA, "state")}");
            xb = XdpNetProcess.Start(t.B, "run", "--config", t.WriteConfig('b', dirB),
                "--Ila:Domains:0:Mappings:2:Identifier=1:0:0:5", $"--Ila:Domains:0:Mappings:2:Locator={IlaTopology.LocatorA}");
            xa.WaitReady(TimeSpan.FromSeconds(60));
            xb.WaitReady(TimeSpan.FromSeconds(60));
            string Why() => $"\n--- xdpnet A ---\n{xa.Output}\n--- xdpnet B ---\n{xb.Output}";

            var hostSide = $"h5{suffix}";
            var inside = $"c5{suffix}";
            t.A.AddVeth(hostSide, c5, inside);
            c5.ExecChecked("ip", "link", "set", "dev", inside, "address", C5Mac);
            t.A.AddAddress(hostSide, "fe80::1/64");
            c5.AddAddress(inside, c5Address + "/128");
            c5.ExecChecked("ip", "-6", "route", "add", "default", "via", "fe80::1", "dev", inside);

            // | c3 on B | SIR 1:0:0:5 -> ILA (locator A) -> underlay -> A: back to SIR -> route -> h5 -> | c5 |
            var body = JsonSerializer.Serialize(new { name = "c5", @interface = hostSide, mac = C5Mac, addresses = new[] { c5Address + "/128" }, labels = new[] { "app=c5" } });
            using (var added = JsonDocument.Parse(XdpNet.Stats.StatsClient.Request(IlaTopology.StatsSocket(dirA), "endpoint add " + body, TimeSpan.FromSeconds(60))))
            {
                Assert.True(added.RootElement.GetProperty("ok").GetBoolean(), added.RootElement + Why());
            }
            Assert.True(EndpointTopology.PingEventually(t[3].Ns, c5Address), "c3 (host B) -> c5 by SIR address" + Why());
            Assert.True(EndpointTopology.PingEventually(c5, t[3].Address), "c5 -> c3 (host B)" + Why());
            Assert.True(EndpointTopology.PingEventually(t[1].Ns, c5Address), "c1 (host A) -> c5, a local identifier" + Why());

            using (var deleted = JsonDocument.Parse(XdpNet.Stats.StatsClient.Request(IlaTopology.StatsSocket(dirA), """endpoint del {"name":"c5"}""", TimeSpan.FromSeconds(60))))
            {
                Assert.True(deleted.RootElement.GetProperty("ok").GetBoolean(), deleted.RootElement + Why());
            }
            Assert.False(EndpointTopology.Ping(t[3].Ns, c5Address), "c3 -> c5 after its removal" + Why());
            Assert.True(EndpointTopology.PingEventually(t[3].Ns, t[1].Address), "c3 -> c1 after c5 went" + Why());
        }
        finally
        {
            foreach (var x in new[] { xa, xb })
            {
                if (x is null) continue;
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
            Directory.Delete(dirA, recursive: true);
            Directory.Delete(dirB, recursive: true);
        }
    }
}
