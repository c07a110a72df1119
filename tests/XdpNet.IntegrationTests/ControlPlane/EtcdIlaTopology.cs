using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.ControlPlane;

/// <summary>
/// <see cref="Ila.IlaTopology"/>'s environment with any number of container hosts (a, b, c, ...), for hosts that
/// take their ILA mappings from etcd: each host file holds interfaces and routes only.
/// <code>
///   [c..]            [c..]            [c..]           SIR 2001:db8:5151::1:0:0:N/128, default via fe80::1
///  [ host A ] ua == [ sw: bridge ] == ub [ host B ]   locator 2001:db8:X::/64, underlay 2001:db8:ff::X
///                          ||
///                       uc [ host C ]
/// </code>
/// A container slot carries the identifier it is routed for: a slot provisioned for a later move is routed on its
/// host from the start (interfaces and the file stay fixed; only etcd changes at the move), and while etcd maps the
/// identifier to another host's locator that mapping wins over the local route. Host kernels do not forward.
/// </summary>
public sealed class EtcdIlaTopology : IDisposable
{
    public const string SirPrefix = "2001:db8:5151::/64";
    private readonly string _suffix = UniqueName.Suffix(5);
    private readonly List<Host> _hosts = [];
    private readonly List<Container> _containers = [];
    private int _slots;

    private EtcdIlaTopology(NetNs underlay) => Underlay = underlay;

    public sealed class Host(char name, NetNs ns, string uplink)
    {
        public char Name { get; } = name;
        public NetNs Ns { get; } = ns;
        public string Uplink { get; } = uplink;
        public string Locator => $"2001:db8:{Name}::";
        public string UnderlayAddress => $"2001:db8:ff::{Name}";
    }

    /// <summary>A container slot; <see cref="Identifier"/> 0 while empty. <see cref="Routed"/> is the identifier its host routes to it.</summary>
    public sealed class Container(Host host, NetNs ns, string hostSide, string inside, int routed)
    {
        public int Identifier { get; internal set; }
        public int Routed { get; } = routed;
        public Host Host { get; } = host;
        public NetNs Ns { get; } = ns;
        public string HostSide { get; } = hostSide;
        public string Inside { get; } = inside;
        public string Address => SirAddress(Identifier);
    }

    public NetNs Underlay { get; }
    public string Bridge => "br" + _suffix;
    public IReadOnlyList<Host> Hosts => _hosts;
    public IReadOnlyList<Container> Containers => _containers;

    public static string SirAddress(int identifier) => "2001:db8:5151::1:0:0:" + identifier.ToString(CultureInfo.InvariantCulture);

    public Host this[char name] => _hosts.Single(h => h.Name == name);

    public Container Of(int identifier) => _containers.Single(c => c.Identifier == identifier);

    public static EtcdIlaTopology Create(string hosts)
    {
        var t = new EtcdIlaTopology(NetNs.Create("eila-ul"));
        try
        {
            t.Underlay.ExecChecked("ip", "link", "add", t.Bridge, "type", "bridge", "mcast_snooping", "0");
            t.Underlay.ExecChecked("ip", "link", "set", "dev", t.Bridge, "up");
            foreach (var name in hosts)
            {
                var ns = NetNs.Create("eila-" + name);
                var host = new Host(name, ns, "u" + name + t._suffix);
                t._hosts.Add(host);
                ns.AddVeth(host.Uplink, t.Underlay, "p" + name + t._suffix);
                t.Underlay.ExecChecked("ip", "link", "set", "dev", "p" + name + t._suffix, "master", t.Bridge);
                ns.AddAddress(host.Uplink, host.UnderlayAddress + "/64");
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

    /// <summary>A container with <paramref name="identifier"/> on <paramref name="host"/>.</summary>
    public Container AddContainer(int identifier, char host) => Add(identifier, host, identifier);

    /// <summary>An empty slot on <paramref name="host"/>, routed there for <paramref name="identifier"/> ahead of its move.</summary>
    public Container AddSlot(char host, int identifier) => Add(0, host, identifier);

    private Container Add(int identifier, char host, int routed)
    {
        var slot = ++_slots;
        var ns = NetNs.Create("eila-c" + slot.ToString(CultureInfo.InvariantCulture));
        try
        {
            var h = this[host];
            var c = new Container(h, ns, $"h{slot}{_suffix}", $"c{slot}{_suffix}", routed);
            h.Ns.AddVeth(c.HostSide, ns, c.Inside);
            h.Ns.AddAddress(c.HostSide, "fe80::1/64");
            if (identifier != 0) Occupy(c, identifier);
            _containers.Add(c);
            return c;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    private static void Occupy(Container c, int identifier)
    {
        c.Identifier = identifier;
        c.Ns.AddAddress(c.Inside, c.Address + "/128");
        c.Ns.ExecChecked("ip", "-6", "route", "add", "default", "via", "fe80::1", "dev", c.Inside);
    }

    /// <summary>The container with <paramref name="identifier"/> moves to the empty slot routed for it on <paramref name="host"/>.</summary>
    public Container Move(int identifier, char host)
    {
        var old = Of(identifier);
        old.Ns.ExecChecked("ip", "-6", "addr", "del", old.Address + "/128", "dev", old.Inside);
        old.Identifier = 0;
        var target = _containers.First(c => c.Host.Name == host && c.Identifier == 0 && c.Routed == identifier);
        Occupy(target, identifier);
        return target;
    }

    public string NodeName(char host) => $"eila{host}{_suffix}";

    public static string StatsSocket(string directory) => Path.Combine(directory, "stats.sock");

    /// <summary>
    /// Host <paramref name="host"/>'s file: its uplink and container veths, a route to every other host's locator
    /// via its underlay address, a /128 route per local slot, no mappings (etcd holds them), and an Etcd section.
    /// </summary>
    public string WriteConfig(char host, string directory, string etcdUrl, string prefix)
    {
        var h = this[host];
        var interfaces = new List<object> { new { Name = h.Uplink, Role = "uplink" } };
        var routes = new List<object>();
        foreach (var other in _hosts)
        {
            if (other != h) routes.Add(new { Prefix = other.Locator + "/64", Interface = h.Uplink, Gateway = (string?)other.UnderlayAddress });
        }
        foreach (var c in _containers)
        {
            if (c.Host != h) continue;
            interfaces.Add(new { Name = c.HostSide, Role = "local" });
            routes.Add(new { Prefix = SirAddress(c.Routed) + "/128", Interface = c.HostSide, Gateway = (string?)null });
        }
        var config = new
        {
            Node = new { Name = NodeName(host) },
            Interfaces = interfaces,
            Umem = new { FrameSize = 4096, Frames = 8192, Headroom = 256 },
            Rings = new { Rx = 1024, Tx = 1024, Fill = 1024, Completion = 1024, Batch = 64 },
            Routes = routes,
            Ila = new
            {
                Domains = new[] { new { SirPrefix, Locator = h.Locator + "/64", ChecksumMode = "neutral-map", Mappings = Array.Empty<object>() } },
                Miss = "forward",
            },
            Etcd = new { Endpoints = new[] { etcdUrl }, Prefix = prefix, StartTimeoutSeconds = 20 },
            Stats = new { Socket = StatsSocket(directory) },
        };
        var path = Path.Combine(directory, "host.json");
        File.WriteAllText(path + ".new", JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
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
