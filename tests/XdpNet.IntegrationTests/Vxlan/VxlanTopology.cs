using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Vxlan;

/// <summary>Which VTEP a host runs: the Linux kernel's VXLAN device on a bridge, or <c>xdpnet run</c>.</summary>
public enum VtepKind
{
    Kernel,
    XdpNet,
}

/// <summary>The address family of the underlay (the outer IP header).</summary>
public enum UnderlayFamily
{
    Ipv4,
    Ipv6,
}

/// <summary>
/// Two container hosts joined by a VXLAN overlay (RFC 7348) in namespaces: two tenant segments (VNI 42 and 43),
/// each with one container on each host, all four containers in one IPv4 /24 and one IPv6 /64 so that only the
/// VNI keeps the tenants apart. There is no router anywhere: ARP and NDP cross the overlay by flooding.
/// <code>
///   VNI 42: [c1]  VNI 43: [c3]                          VNI 42: [c2]  VNI 43: [c4]
///            |             |                                     |             |
///        [ host A: VTEP ] ua ==== pa [ sw: bridge ] pb ==== ub [ host B: VTEP ]
///   underlay 198.18.0.1 / 2001:db8:ff::a                 198.18.0.2 / 2001:db8:ff::b
///   overlay  c1 198.18.40.1 2001:db8:40::1 (A, 42)       c2 .2 ::2 (B, 42)
///            c3 198.18.40.3 2001:db8:40::3 (A, 43)       c4 .4 ::4 (B, 43)
/// </code>
/// A kernel VTEP is one VXLAN device per VNI (<c>vx42</c>, <c>vx43</c>; learning on, the kernel's defaults for
/// checksums) enslaved to a bridge per VNI with the container veths' host ends, and an all-zero FDB entry per
/// remote VTEP (head-end replication). An xdpnet VTEP is the same segments in a host configuration file. The
/// underlay runs through a bridge in its own namespace so tcpdump can watch it (XDP on the uplinks redirects
/// before any tap). Host kernels do not forward. Checksum offloads stay on everywhere.
/// Container veths carry the overlay MTU (1450 over IPv4, 1430 over IPv6: RFC 7348 section 4.3 forbids
/// fragmenting the encapsulated frame), so the largest inner frame makes exactly a 1500-byte outer packet.
/// </summary>
public sealed class VxlanTopology : IDisposable
{
    public const int Port = 4789;
    public const string UnderlayA4 = "198.18.0.1", UnderlayB4 = "198.18.0.2";
    public const string UnderlayA6 = "2001:db8:ff::a", UnderlayB6 = "2001:db8:ff::b";
    public static readonly int[] Vnis = [42, 43];

    private readonly string _suffix = UniqueName.Suffix(6);
    private readonly List<Container> _containers = [];
    private readonly string _directory = Directory.CreateTempSubdirectory("xdpnet-vxlan-").FullName;
    private XdpNetProcess? _xa, _xb;

    /// <summary>An overlay endpoint: its namespace, host, segment, the two ends of its veth and its addresses.</summary>
    public sealed record Container(int Number, char Host, int Vni, NetNs Ns, string HostSide, string Inside, string Mac)
    {
        public string Ipv4 => "198.18.40." + Number.ToString(CultureInfo.InvariantCulture);
        public string Ipv6 => "2001:db8:40::" + Number.ToString(CultureInfo.InvariantCulture);
        public string Address(bool v6) => v6 ? Ipv6 : Ipv4;
        public override string ToString() => $"c{Number} (host {Host}, VNI {Vni})";
    }

    private VxlanTopology(UnderlayFamily family, VtepKind kindA, VtepKind kindB, NetNs a, NetNs b, NetNs underlay)
    {
        Family = family;
        KindA = kindA;
        KindB = kindB;
        A = a;
        B = b;
        Underlay = underlay;
        UplinkA = "ua" + _suffix;
        UplinkB = "ub" + _suffix;
        Bridge = "br" + _suffix;
    }

    public UnderlayFamily Family { get; }
    /// <summary>VXLAN-GBP on every VTEP.</summary>
    public bool Gbp { get; private init; }

    /// <summary>The Group Policy ID xdpnet sends for a container's frames with GBP: 0x1000 + its number.</summary>
    public static int GroupPolicyId(Container c) => 0x1000 + c.Number;
    public VtepKind KindA { get; }
    public VtepKind KindB { get; }
    public NetNs A { get; }
    public NetNs B { get; }
    public NetNs Underlay { get; }
    public string UplinkA { get; }
    public string UplinkB { get; }
    /// <summary>The underlay bridge (in <see cref="Underlay"/>): every VXLAN packet between the hosts crosses it.</summary>
    public string Bridge { get; }
    public IReadOnlyList<Container> Containers => _containers;

    /// <summary>Outer IPv4 + UDP + VXLAN + inner Ethernet = 50 bytes, over IPv6 70 (RFC 7348 section 5).</summary>
    public int OverlayMtu => Family == UnderlayFamily.Ipv4 ? 1450 : 1430;

    public Container this[int number] => _containers.Single(c => c.Number == number);

    public NetNs Host(char host) => host == 'a' ? A : B;
    public VtepKind Kind(char host) => host == 'a' ? KindA : KindB;
    public string Uplink(char host) => host == 'a' ? UplinkA : UplinkB;

    /// <summary>The host's VTEP address in the underlay family.</summary>
    public string Vtep(char host) => (Family, host) switch
    {
        (UnderlayFamily.Ipv4, 'a') => UnderlayA4,
        (UnderlayFamily.Ipv4, _) => UnderlayB4,
        (_, 'a') => UnderlayA6,
        _ => UnderlayB6,
    };

    /// <summary>The kernel VXLAN device of <paramref name="vni"/> on a kernel VTEP host.</summary>
    public static string KernelVxlanDevice(int vni) => "vx" + vni.ToString(CultureInfo.InvariantCulture);

    /// <summary>The kernel bridge of <paramref name="vni"/> on a kernel VTEP host.</summary>
    public static string KernelBridge(int vni) => "bv" + vni.ToString(CultureInfo.InvariantCulture);

    public string StatsSocket(char host) => Path.Combine(_directory, $"stats-{host}.sock");

    public XdpNetProcess? Process(char host) => host == 'a' ? _xa : _xb;

    /// <summary>Both xdpnet outputs, for failure messages.</summary>
    public string Outputs => $"--- xdpnet A ---\n{_xa?.Output}\n--- xdpnet B ---\n{_xb?.Output}";

    /// <summary>
    /// Builds the namespaces, the underlay and the four containers, configures each host's VTEP and, for xdpnet
    /// hosts, starts <c>xdpnet run</c> and waits until it is ready.
    /// </summary>
    /// <param name="gbp">VXLAN-GBP on every VTEP: the kernel's <c>gbp</c> option; xdpnet's <c>Vxlan:Gbp</c> with Group
    /// Policy ID <see cref="GroupPolicyId"/> for each local container.</param>
    public static VxlanTopology Create(UnderlayFamily family, VtepKind a, VtepKind b, bool gbp = false)
    {
        NetNs? na = null, nb = null, nu = null;
        VxlanTopology? t = null;
        try
        {
            na = NetNs.Create("vx-a");
            nb = NetNs.Create("vx-b");
            nu = NetNs.Create("vx-ul");
            t = new VxlanTopology(family, a, b, na, nb, nu) { Gbp = gbp };
            t.BuildUnderlay();
            t.AddContainer(1, 'a', 42);
            t.AddContainer(2, 'b', 42);
            t.AddContainer(3, 'a', 43);
            t.AddContainer(4, 'b', 43);
            foreach (var host in new[] { 'a', 'b' })
            {
                if (t.Kind(host) == VtepKind.Kernel) t.ConfigureKernelVtep(host);
            }
            foreach (var host in new[] { 'a', 'b' })
            {
                if (t.Kind(host) == VtepKind.XdpNet) t.StartXdpNet(host);
            }
            foreach (var host in new[] { 'a', 'b' })
            {
                if (t.Kind(host) == VtepKind.XdpNet) t.Process(host)!.WaitReady(TimeSpan.FromSeconds(60));
            }
            return t;
        }
        catch
        {
            if (t is not null) t.Dispose();
            else
            {
                na?.Dispose();
                nb?.Dispose();
                nu?.Dispose();
            }
            throw;
        }
    }

    private void BuildUnderlay()
    {
        Underlay.ExecChecked("ip", "link", "add", Bridge, "type", "bridge", "mcast_snooping", "0");
        Underlay.ExecChecked("ip", "link", "set", "dev", Bridge, "up");
        A.AddVeth(UplinkA, Underlay, "pa" + _suffix);
        B.AddVeth(UplinkB, Underlay, "pb" + _suffix);
        Underlay.ExecChecked("ip", "link", "set", "dev", "pa" + _suffix, "master", Bridge);
        Underlay.ExecChecked("ip", "link", "set", "dev", "pb" + _suffix, "master", Bridge);
        // Both families on both uplinks: the VTEPs use one, the other stays idle.
        A.AddAddress(UplinkA, UnderlayA4 + "/24");
        B.AddAddress(UplinkB, UnderlayB4 + "/24");
        A.AddAddress(UplinkA, UnderlayA6 + "/64");
        B.AddAddress(UplinkB, UnderlayB6 + "/64");
        foreach (var host in new[] { A, B })
        {
            host.ExecChecked("sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
        }
    }

    private void AddContainer(int number, char host, int vni)
    {
        var n = number.ToString(CultureInfo.InvariantCulture);
        var ns = NetNs.Create("vx-c" + n);
        try
        {
            // Fixed, locally administered MACs: the learning assertions look for them in both FDBs.
            var c = new Container(number, host, vni, ns, $"h{n}{_suffix}", $"c{n}{_suffix}", $"02:00:00:00:40:{number:x2}");
            Host(host).AddVeth(c.HostSide, ns, c.Inside);
            var mtu = OverlayMtu.ToString(CultureInfo.InvariantCulture);
            Host(host).ExecChecked("ip", "link", "set", "dev", c.HostSide, "mtu", mtu);
            ns.ExecChecked("ip", "link", "set", "dev", c.Inside, "mtu", mtu, "address", c.Mac);
            ns.AddAddress(c.Inside, c.Ipv4 + "/24");
            ns.AddAddress(c.Inside, c.Ipv6 + "/64");
            _containers.Add(c);
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Per VNI: a VXLAN device bound to the uplink (learning on, iproute2's defaults otherwise: <c>udpcsum</c>, so an
    /// outer UDP checksum over IPv4 as over IPv6), a bridge with it and the local containers' host ends, and an
    /// all-zero FDB entry towards the other host's VTEP so broadcast and unknown unicast are replicated to it.
    /// With offloads on, what such a kernel puts on a veth is not what a NIC would: the outer UDP checksum is left
    /// partial (just the pseudo-header sum) when the inner frame is complete, and when the inner TCP/UDP checksum is
    /// itself left partial the outer one is computed by local checksum offload (LCO: as if the inner one were
    /// finished), so it verifies only once the inner checksum is completed.
    /// </summary>
    private void ConfigureKernelVtep(char host)
    {
        var ns = Host(host);
        var other = host == 'a' ? 'b' : 'a';
        foreach (var vni in Vnis)
        {
            var vx = KernelVxlanDevice(vni);
            var br = KernelBridge(vni);
            string[] link = ["link", "add", vx, "type", "vxlan", "id", vni.ToString(CultureInfo.InvariantCulture),
                "dstport", Port.ToString(CultureInfo.InvariantCulture), "local", Vtep(host), "dev", Uplink(host)];
            ns.ExecChecked("ip", Gbp ? [.. link, "gbp"] : link);
            ns.ExecChecked("ip", "link", "add", br, "type", "bridge", "mcast_snooping", "0");
            // The bridge itself is no endpoint: without IPv6 it sends no router solicitations into the segment.
            ns.ExecChecked("sysctl", "-qw", $"net.ipv6.conf.{br}.disable_ipv6=1");
            ns.ExecChecked("ip", "link", "set", "dev", vx, "master", br);
            foreach (var c in _containers)
            {
                if (c.Host == host && c.Vni == vni) ns.ExecChecked("ip", "link", "set", "dev", c.HostSide, "master", br);
            }
            ns.ExecChecked("ip", "link", "set", "dev", vx, "up");
            ns.ExecChecked("ip", "link", "set", "dev", br, "up");
            ns.ExecChecked("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", vx, "dst", Vtep(other));
        }
    }

    /// <summary>
    /// Host <paramref name="host"/>'s xdpnet configuration: the uplink, the local containers' host ends as
    /// segment members, one segment per VNI with learning on and the other host's VTEP as its flood list.
    /// </summary>
    public string WriteConfig(char host)
    {
        var other = host == 'a' ? 'b' : 'a';
        var interfaces = new List<object> { new { Name = Uplink(host), Role = "uplink" } };
        foreach (var c in _containers)
        {
            if (c.Host == host) interfaces.Add(new { Name = c.HostSide, Role = "local", Mtu = OverlayMtu });
        }
        var segments = new List<object>();
        foreach (var vni in Vnis)
        {
            var members = new List<string>();
            foreach (var c in _containers)
            {
                if (c.Host == host && c.Vni == vni) members.Add(c.HostSide);
            }
            var groupPolicy = new Dictionary<string, int>();
            foreach (var c in _containers)
            {
                if (c.Host == host && c.Vni == vni && Gbp) groupPolicy[c.HostSide] = GroupPolicyId(c);
            }
            segments.Add(new { Vni = vni, Interfaces = members, Learning = true, Flood = new[] { Vtep(other) }, GroupPolicy = groupPolicy });
        }
        var config = new
        {
            Node = new { Name = $"vx{host}{_suffix}", StateDirectory = Path.Combine(_directory, $"state-{host}") },
            Interfaces = interfaces,
            // Frames: at least sockets x (Fill + Tx) for three interfaces.
            Umem = new { FrameSize = 4096, Frames = 8192, Headroom = 256 },
            Rings = new { Rx = 1024, Tx = 1024, Fill = 1024, Completion = 1024, Batch = 64 },
            Vxlan = new { Vtep = Vtep(host), Port, Gbp, Segments = segments },
            Stats = new { Socket = StatsSocket(host) },
        };
        var path = Path.Combine(_directory, $"host-{host}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull }));
        return path;
    }

    private void StartXdpNet(char host)
    {
        var process = XdpNetProcess.Start(Host(host), "run", "--config", WriteConfig(host));
        if (host == 'a') _xa = process;
        else _xb = process;
    }

    /// <summary>One <c>xdpnet stats --json</c> snapshot of an xdpnet host.</summary>
    public JsonDocument Stats(char host) => XdpNetProcess.Stats(Host(host), StatsSocket(host));

    /// <summary>Stops the xdpnet hosts with SIGTERM; returns their exit codes (host, code).</summary>
    public List<(char Host, int ExitCode)> StopXdpNet()
    {
        var codes = new List<(char, int)>();
        foreach (var host in new[] { 'a', 'b' })
        {
            var p = Process(host);
            if (p is null) continue;
            Command.Run("kill", "-TERM", p.Pid.ToString(CultureInfo.InvariantCulture));
            codes.Add((host, p.WaitExit(TimeSpan.FromSeconds(20))));
        }
        return codes;
    }

    public void Dispose()
    {
        _xa?.Dispose();
        _xb?.Dispose();
        foreach (var c in _containers) c.Ns.Dispose();
        A.Dispose();
        B.Dispose();
        Underlay.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A stats socket still being closed: the directory is in /tmp, nothing depends on it.
        }
    }
}
