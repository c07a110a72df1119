using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Ila;

/// <summary>
/// The ILA studies' environment in namespaces: two container hosts A and B, each running its own xdpnet, two
/// containers each, all addressed from one SIR prefix; the hosts are joined by a routed IPv6 underlay.
/// <code>
///   [c1] [c2]                                        [c3] [c4]      SIR 2001:db8:5151::1:0:0:N/128 each
///     \   /                                            \   /        default via fe80::1 (the host's end)
///    [ host A ] ua ==== pa [ sw: bridge ] pb ==== ub [ host B ]
///    2001:db8:ff::a, locator 2001:db8:a::/64        2001:db8:ff::b, locator 2001:db8:b::/64
/// </code>
/// The underlay runs through a bridge in its own namespace so that tcpdump can watch it: on the hosts' uplinks
/// the XDP program redirects every owned packet into AF_XDP before any packet tap sees it. Host kernels do not
/// forward (forwarding 0), so whatever crosses a host went through xdpnet. Checksum offload stays on everywhere.
/// </summary>
public sealed class IlaTopology : IDisposable
{
    public const string SirPrefix = "2001:db8:5151::/64";
    public const string LocatorA = "2001:db8:a::", LocatorB = "2001:db8:b::";
    public const string UnderlayA = "2001:db8:ff::a", UnderlayB = "2001:db8:ff::b";

    private readonly string _suffix = UniqueName.Suffix(6);
    private readonly List<Container> _containers = [];
    private int _slots;

    private IlaTopology(NetNs a, NetNs b, NetNs underlay, bool onLink)
    {
        OnLink = onLink;
        A = a;
        B = b;
        Underlay = underlay;
        UplinkA = "ua" + _suffix;
        UplinkB = "ub" + _suffix;
        Bridge = "br" + _suffix;
    }

    /// <summary>
    /// A container slot: its namespace, the host it runs on and the two ends of its veth. <see cref="Identifier"/>
    /// is 0 while the slot is empty (no address): interfaces cannot change under a running xdpnet (that needs a
    /// restart), so the target of a move is provisioned up front and its source stays behind, emptied.
    /// </summary>
    public sealed class Container(char host, NetNs ns, string hostSide, string inside)
    {
        public int Identifier { get; internal set; }
        public char Host { get; } = host;
        public NetNs Ns { get; } = ns;
        public string HostSide { get; } = hostSide;
        public string Inside { get; } = inside;
        public string Address => SirAddress(Identifier);
    }

    /// <summary>
    /// False: containers hold their SIR address as /128 with a default route via fe80::1 on the host end (no NDP
    /// proxy needed). True: as /64 with only the connected route, so they solicit every destination in the SIR
    /// prefix on their link and xdpnet's neighbour proxy answers (the host end has only its automatic link-local).
    /// </summary>
    public bool OnLink { get; }

    public NetNs A { get; }
    public NetNs B { get; }
    public NetNs Underlay { get; }
    public string UplinkA { get; }
    public string UplinkB { get; }
    public string Bridge { get; }
    public IReadOnlyList<Container> Containers => _containers;

    /// <summary>Identifier 1:0:0:N in the SIR prefix.</summary>
    public static string SirAddress(int identifier) => "2001:db8:5151::1:0:0:" + identifier.ToString(CultureInfo.InvariantCulture);

    public NetNs Host(char host) => host == 'a' ? A : B;

    public Container this[int identifier] => _containers.Single(c => c.Identifier == identifier);

    /// <summary>Provisions an empty container slot on <paramref name="host"/>, the target of a later <see cref="Move"/>.</summary>
    public Container AddSlot(char host) => AddContainer(0, host);

    /// <summary>Hosts, underlay and containers c1, c2 on A and c3, c4 on B (identifiers 1:0:0:1..4).</summary>
    public static IlaTopology Create(bool onLink = false)
    {
        NetNs? a = null, b = null, u = null;
        IlaTopology? t = null;
        try
        {
            a = NetNs.Create("ila-a");
            b = NetNs.Create("ila-b");
            u = NetNs.Create("ila-ul");
            t = new IlaTopology(a, b, u, onLink);
            u.ExecChecked("ip", "link", "add", t.Bridge, "type", "bridge", "mcast_snooping", "0");
            u.ExecChecked("ip", "link", "set", "dev", t.Bridge, "up");
            a.AddVeth(t.UplinkA, u, "pa" + t._suffix);
            b.AddVeth(t.UplinkB, u, "pb" + t._suffix);
            u.ExecChecked("ip", "link", "set", "dev", "pa" + t._suffix, "master", t.Bridge);
            u.ExecChecked("ip", "link", "set", "dev", "pb" + t._suffix, "master", t.Bridge);
            a.AddAddress(t.UplinkA, UnderlayA + "/64");
            b.AddAddress(t.UplinkB, UnderlayB + "/64");
            foreach (var host in new[] { a, b })
            {
                host.ExecChecked("sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
            }
            t.AddContainer(1, 'a');
            t.AddContainer(2, 'a');
            t.AddContainer(3, 'b');
            t.AddContainer(4, 'b');
            return t;
        }
        catch
        {
            if (t is not null) t.Dispose();
            else
            {
                a?.Dispose();
                b?.Dispose();
                u?.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// A container namespace on <paramref name="host"/>; with an identifier it gets SIR address
    /// 1:0:0:<paramref name="identifier"/>/128 and a default route via fe80::1, the host end of its veth (so it
    /// needs no NDP proxy); with 0 it is an empty slot.
    /// </summary>
    public Container AddContainer(int identifier, char host)
    {
        var slot = ++_slots;
        var ns = NetNs.Create("ila-c" + slot.ToString(CultureInfo.InvariantCulture));
        try
        {
            var c = new Container(host, ns, $"h{slot}{_suffix}", $"c{slot}{_suffix}");
            Host(host).AddVeth(c.HostSide, ns, c.Inside);
            if (!OnLink) Host(host).AddAddress(c.HostSide, "fe80::1/64");
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

    private void Occupy(Container c, int identifier)
    {
        c.Identifier = identifier;
        c.Ns.AddAddress(c.Inside, c.Address + (OnLink ? "/64" : "/128"));
        if (!OnLink) c.Ns.ExecChecked("ip", "-6", "route", "add", "default", "via", "fe80::1", "dev", c.Inside);
    }

    /// <summary>
    /// The container with <paramref name="identifier"/> moves to an empty slot on <paramref name="host"/> (it
    /// takes its SIR address there); its old slot is emptied.
    /// </summary>
    public Container Move(int identifier, char host)
    {
        var old = this[identifier];
        old.Ns.ExecChecked("ip", "-6", "addr", "del", old.Address + (OnLink ? "/64" : "/128"), "dev", old.Inside);
        old.Identifier = 0;
        var target = _containers.First(c => c.Host == host && c.Identifier == 0);
        Occupy(target, identifier);
        return target;
    }

    /// <summary>
    /// Host <paramref name="host"/>'s xdpnet configuration for the current placement: the uplink and its local
    /// containers' veths, a route to the other host's locator via its underlay address, a /128 route per local
    /// container, and a mapping for every container on the other host. A miss forwards untranslated, so local
    /// container-to-container traffic (no mapping) is routed on its SIR address.
    /// </summary>
    public string WriteConfig(char host, string directory)
    {
        var other = host == 'a' ? 'b' : 'a';
        var uplink = host == 'a' ? UplinkA : UplinkB;
        var interfaces = new List<object> { new { Name = uplink, Role = "uplink" } };
        var routes = new List<object>
        {
            new { Prefix = (host == 'a' ? LocatorB : LocatorA) + "/64", Interface = uplink, Gateway = host == 'a' ? UnderlayB : UnderlayA },
        };
        var mappings = new List<object>();
        foreach (var c in _containers)
        {
            if (c.Host == host)
            {
                interfaces.Add(new { Name = c.HostSide, Role = "local" });
                if (c.Identifier == 0) continue;
                routes.Add(new { Prefix = c.Address + "/128", Interface = c.HostSide, Gateway = (string?)null });
            }
            else if (c.Identifier != 0)
            {
                mappings.Add(new { Identifier = "1:0:0:" + c.Identifier.ToString(CultureInfo.InvariantCulture), Locator = other == 'a' ? LocatorA : LocatorB });
            }
        }
        var config = new
        {
            Node = new { Name = $"ila{host}{_suffix}" },
            Interfaces = interfaces,
            // Frames: at least sockets x (Fill + Tx) for up to four interfaces.
            Umem = new { FrameSize = 4096, Frames = 8192, Headroom = 256 },
            Rings = new { Rx = 1024, Tx = 1024, Fill = 1024, Completion = 1024, Batch = 64 },
            Routes = routes,
            Ila = new
            {
                Domains = new[]
                {
                    new { SirPrefix, Locator = (host == 'a' ? LocatorA : LocatorB) + "/64", ChecksumMode = "neutral-map", Mappings = mappings },
                },
                Miss = "forward",
            },
            Stats = new { Socket = StatsSocket(directory) },
        };
        var path = Path.Combine(directory, "host.json");
        // Written whole and renamed into place: a running xdpnet reloads on a change of the file and must never read half of it.
        File.WriteAllText(path + ".new", JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
        File.Move(path + ".new", path, overwrite: true);
        return path;
    }

    public static string StatsSocket(string directory) => Path.Combine(directory, "stats.sock");

    public void Dispose()
    {
        foreach (var c in _containers) c.Ns.Dispose();
        A.Dispose();
        B.Dispose();
        Underlay.Dispose();
    }
}
