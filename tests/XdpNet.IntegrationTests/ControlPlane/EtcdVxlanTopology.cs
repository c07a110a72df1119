using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.ControlPlane;

/// <summary>
/// Any number of VXLAN hosts (a, b, c, ...), each an xdpnet VTEP, sharing one tenant segment (VNI 42) whose FDB
/// entries and flood list live in etcd: each host file holds only the uplink, the segment and its member interfaces
/// (learning from the overlay off, so what a host knows of remote MACs is etcd's).
/// <code>
///   [c..]            [c..]            [c..]           198.18.41.N/24, MAC 02:00:00:00:41:NN, MTU 1450
///  [ host A ] ua == [ sw: bridge ] == ub [ host B ]   VTEP 198.18.0.1, .2, ...
///                          ||
///                       uc [ host C ]
/// </code>
/// A container slot is a segment member from the start with nothing behind it: a container moved there is recreated
/// with its MAC and address (the files stay fixed; only etcd changes at the move). Host kernels do not forward.
/// </summary>
public sealed class EtcdVxlanTopology : IDisposable
{
    public const int Vni = 42;
    public const int OverlayMtu = 1450;
    private readonly string _suffix = UniqueName.Suffix(5);
    private readonly List<Host> _hosts = [];
    private readonly List<Container> _containers = [];
    private int _slots;

    private EtcdVxlanTopology(NetNs underlay) => Underlay = underlay;

    public sealed class Host(char name, int index, NetNs ns, string uplink)
    {
        public char Name { get; } = name;
        public NetNs Ns { get; } = ns;
        public string Uplink { get; } = uplink;
        public string Vtep { get; } = "198.18.0." + index.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A container slot; <see cref="Number"/> 0 while empty.</summary>
    public sealed class Container(Host host, NetNs ns, string hostSide, string inside)
    {
        public int Number { get; internal set; }
        public Host Host { get; } = host;
        public NetNs Ns { get; } = ns;
        public string HostSide { get; } = hostSide;
        public string Inside { get; } = inside;
        public string Address => Ipv4(Number);
        public string Mac => MacOf(Number);
    }

    public NetNs Underlay { get; }
    public string Bridge => "br" + _suffix;
    public IReadOnlyList<Host> Hosts => _hosts;
    public IReadOnlyList<Container> Containers => _containers;

    public static string Ipv4(int number) => "198.18.41." + number.ToString(CultureInfo.InvariantCulture);

    public static string MacOf(int number) => $"02:00:00:00:41:{number:x2}";

    public Host this[char name] => _hosts.Single(h => h.Name == name);

    public Container Of(int number) => _containers.Single(c => c.Number == number);

    public static EtcdVxlanTopology Create(string hosts)
    {
        var t = new EtcdVxlanTopology(NetNs.Create("evx-ul"));
        try
        {
            t.Underlay.ExecChecked("ip", "link", "add", t.Bridge, "type", "bridge", "mcast_snooping", "0");
            t.Underlay.ExecChecked("ip", "link", "set", "dev", t.Bridge, "up");
            foreach (var name in hosts)
            {
                var ns = NetNs.Create("evx-" + name);
                var host = new Host(name, t._hosts.Count + 1, ns, "u" + name + t._suffix);
                t._hosts.Add(host);
                ns.AddVeth(host.Uplink, t.Underlay, "p" + name + t._suffix);
                t.Underlay.ExecChecked("ip", "link", "set", "dev", "p" + name + t._suffix, "master", t.Bridge);
                ns.AddAddress(host.Uplink, host.Vtep + "/24");
                ns.ExecChecked("sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>Container <paramref name="number"/> on <paramref name="host"/>.</summary>
    public Container AddContainer(int number, char host)
    {
        var c = AddSlot(host);
        Occupy(c, number);
        return c;
    }

    /// <summary>An empty slot on <paramref name="host"/>: a segment member with nothing behind it yet.</summary>
    public Container AddSlot(char host)
    {
        var slot = ++_slots;
        var ns = NetNs.Create("evx-c" + slot.ToString(CultureInfo.InvariantCulture));
        try
        {
            var h = this[host];
            var c = new Container(h, ns, $"h{slot}{_suffix}", $"c{slot}{_suffix}");
            h.Ns.AddVeth(c.HostSide, ns, c.Inside);
            var mtu = OverlayMtu.ToString(CultureInfo.InvariantCulture);
            h.Ns.ExecChecked("ip", "link", "set", "dev", c.HostSide, "mtu", mtu);
            // Without IPv6 the empty slot sends nothing into the segment (no router solicitations, no DAD).
            ns.ExecChecked("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            ns.ExecChecked("ip", "link", "set", "dev", c.Inside, "mtu", mtu);
            _containers.Add(c);
            return c;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    private static void Occupy(Container c, int number)
    {
        c.Number = number;
        c.Ns.ExecChecked("ip", "link", "set", "dev", c.Inside, "down");
        c.Ns.ExecChecked("ip", "link", "set", "dev", c.Inside, "address", c.Mac);
        c.Ns.AddAddress(c.Inside, c.Address + "/24");
        c.Ns.ExecChecked("ip", "link", "set", "dev", c.Inside, "up");
    }

    /// <summary>
    /// Container <paramref name="number"/> stops where it runs (address removed, link down) and is recreated in
    /// <paramref name="slot"/> with the same MAC and address.
    /// </summary>
    public Container Move(int number, Container slot)
    {
        if (slot.Number != 0) throw new InvalidOperationException("the slot is occupied");
        var old = Of(number);
        old.Ns.ExecChecked("ip", "addr", "flush", "dev", old.Inside);
        old.Ns.ExecChecked("ip", "link", "set", "dev", old.Inside, "down");
        old.Number = 0;
        Occupy(slot, number);
        return slot;
    }

    public string NodeName(char host) => $"evx{host}{_suffix}";

    public static string StatsSocket(string directory) => Path.Combine(directory, "stats.sock");

    /// <summary>
    /// Host <paramref name="host"/>'s file: its uplink, the segment with every local slot as a member, no FDB or flood
    /// entries (etcd holds them), and an Etcd section. <paramref name="endpoints"/>: each occupied local container is
    /// also an endpoint with <paramref name="labels"/> (for policy), published by the host into etcd.
    /// </summary>
    public string WriteConfig(char host, string directory, string etcdUrl, string prefix, bool endpoints = false, string labels = "app=web")
    {
        var h = this[host];
        var interfaces = new List<object> { new { Name = h.Uplink, Role = "uplink" } };
        var members = new List<string>();
        var locals = new List<object>();
        foreach (var c in _containers)
        {
            if (c.Host != h) continue;
            interfaces.Add(new { Name = c.HostSide, Role = "local", Mtu = OverlayMtu });
            members.Add(c.HostSide);
            if (endpoints && c.Number != 0)
            {
                locals.Add(new { Name = "c" + c.Number.ToString(CultureInfo.InvariantCulture), Interface = c.HostSide, Addresses = new[] { c.Address }, Labels = new[] { labels } });
            }
        }
        var config = new
        {
            Node = new { Name = NodeName(host) },
            Interfaces = interfaces,
            Umem = new { FrameSize = 4096, Frames = 8192, Headroom = 256 },
            Rings = new { Rx = 1024, Tx = 1024, Fill = 1024, Completion = 1024, Batch = 64 },
            Vxlan = new { Vtep = h.Vtep, Segments = new[] { new { Vni, Interfaces = members, Learning = false } } },
            Endpoints = locals,
            Etcd = new { Endpoints = new[] { etcdUrl }, Prefix = prefix, StartTimeoutSeconds = 20 },
            Stats = new { Socket = StatsSocket(directory) },
        };
        var path = Path.Combine(directory, "host.json");
        File.WriteAllText(path + ".new", JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull }));
        File.Move(path + ".new", path, overwrite: true);
        return path;
    }

    public void Dispose()
    {
        foreach (var c in _containers) c.Ns.Dispose();
        foreach (var h in _hosts) h.Ns.Dispose();
        Underlay.Dispose();
    }
}
