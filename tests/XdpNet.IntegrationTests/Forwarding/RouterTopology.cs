using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Forwarding;

/// <summary>
/// <c>[gen] g0 ==veth== d0 [dut] d1 ==veth== s0 [sink]</c>, each in its own namespace with a unique name:
/// gen 198.18.1.1 / 2001:db8:1::1, dut 198.18.1.2 + 198.18.2.1 / 2001:db8:1::2 + 2001:db8:2::1, sink 198.18.2.2 / 2001:db8:2::2.
/// The dut's kernel does not forward (ip_forward 0), so anything crossing it went through xdpnet.
/// Checksum offload stays on everywhere: gen's and sink's TCP/UDP packets arrive with partial checksums, which
/// xdpnet completes (PartialChecksumStage).
/// </summary>
public sealed class RouterTopology : IDisposable
{
    public const string GenV4 = "198.18.1.1", DutV4In = "198.18.1.2", DutV4Out = "198.18.2.1", SinkV4 = "198.18.2.2";
    public const string GenV6 = "2001:db8:1::1", DutV6In = "2001:db8:1::2", DutV6Out = "2001:db8:2::1", SinkV6 = "2001:db8:2::2";

    private RouterTopology(NetNs gen, NetNs dut, NetNs sink, string suffix)
    {
        Gen = gen;
        Dut = dut;
        Sink = sink;
        G0 = "g0" + suffix;
        D0 = "d0" + suffix;
        D1 = "d1" + suffix;
        S0 = "s0" + suffix;
    }

    public NetNs Gen { get; }
    public NetNs Dut { get; }
    public NetNs Sink { get; }
    public string G0 { get; }
    public string D0 { get; }
    public string D1 { get; }
    public string S0 { get; }

    public static RouterTopology Create()
    {
        NetNs? gen = null, dut = null, sink = null;
        try
        {
            gen = NetNs.Create("gen");
            dut = NetNs.Create("dut");
            sink = NetNs.Create("sink");
            var t = new RouterTopology(gen, dut, sink, UniqueName.Suffix(6));
            gen.AddVeth(t.G0, dut, t.D0);
            dut.AddVeth(t.D1, sink, t.S0);
            gen.AddAddress(t.G0, GenV4 + "/24");
            gen.AddAddress(t.G0, GenV6 + "/64");
            dut.AddAddress(t.D0, DutV4In + "/24");
            dut.AddAddress(t.D0, DutV6In + "/64");
            dut.AddAddress(t.D1, DutV4Out + "/24");
            dut.AddAddress(t.D1, DutV6Out + "/64");
            sink.AddAddress(t.S0, SinkV4 + "/24");
            sink.AddAddress(t.S0, SinkV6 + "/64");
            gen.ExecChecked("ip", "route", "add", "198.18.2.0/24", "via", DutV4In);
            gen.ExecChecked("ip", "-6", "route", "add", "2001:db8:2::/64", "via", DutV6In);
            sink.ExecChecked("ip", "route", "add", "198.18.1.0/24", "via", DutV4Out);
            sink.ExecChecked("ip", "-6", "route", "add", "2001:db8:1::/64", "via", DutV6Out);
            dut.ExecChecked("sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
            return t;
        }
        catch
        {
            gen?.Dispose();
            dut?.Dispose();
            sink?.Dispose();
            throw;
        }
    }

    /// <summary>The dut's xdpnet configuration: a router between d0 and d1, next hops resolved from the kernel.</summary>
    public string WriteConfig(string directory, string nodeName, int? cpu = 1, bool busyPoll = false)
    {
        var config = new
        {
            Node = new { Name = nodeName, Cpu = cpu },
            Interfaces = new[]
            {
                new { Name = D0, Role = "local" },
                new { Name = D1, Role = "uplink" },
            },
            Umem = new { FrameSize = 4096, Frames = 4096, Headroom = 256 },
            Rings = new { Rx = 1024, Tx = 1024, Fill = 1024, Completion = 1024, Batch = 64, TxSkbBudget = busyPoll ? 128 : (int?)null },
            BusyPoll = new { Enabled = busyPoll, TimeoutUs = 20, Budget = 64, Prefer = true },
            Routes = new[]
            {
                new { Prefix = "198.18.1.0/24", Interface = D0 },
                new { Prefix = "198.18.2.0/24", Interface = D1 },
                new { Prefix = "2001:db8:1::/64", Interface = D0 },
                new { Prefix = "2001:db8:2::/64", Interface = D1 },
            },
            Stats = new { Socket = Path.Combine(directory, "stats.sock") },
        };
        var path = Path.Combine(directory, "host.json");
        File.WriteAllText(path, JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    public void Dispose()
    {
        Gen.Dispose();
        Dut.Dispose();
        Sink.Dispose();
    }
}
