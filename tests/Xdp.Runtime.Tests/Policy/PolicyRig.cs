using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;
using XdpNet.Configuration;
using XdpNet.Pipeline;

namespace Xdp.Runtime.Tests.Policy;

/// <summary>
/// A container host's whole pipeline (<see cref="HostPipelineBuilder.Build"/>, the type <c>xdpnet run</c> runs) with
/// Endpoints and Policy configured, driven offline: interfaces carry MACs and routes static next hops, so no kernel.
/// <code>
///   0 up  (uplink)  198.18.9.0/24, 2001:db8:9::/64 -> router      remote endpoint 198.18.9.2 / 2001:db8:9::2 app=client
///   1 web (local)   198.18.1.2 / 2001:db8:1::2   app=web
///   2 cli (local)   198.18.2.2 / 2001:db8:2::2   app=client
///   3 oth (local)   198.18.3.2 / 2001:db8:3::2   app=other
/// </code>
/// </summary>
internal sealed unsafe class PolicyRig : IDisposable
{
    public const int Up = 0, Web = 1, Cli = 2, Oth = 3;
    public const int FrameSize = 4096, Headroom = 256;
    public const string UpMac = "02:00:00:00:0a:00", RouterMac = "02:00:00:00:0b:00";
    public static readonly string[] HostMacs = ["02:00:00:00:0a:00", "02:00:00:00:0a:01", "02:00:00:00:0a:02", "02:00:00:00:0a:03"];
    public static readonly string[] ContainerMacs = ["", "02:00:00:00:c0:01", "02:00:00:00:c0:02", "02:00:00:00:c0:03"];
    public static readonly string[] Names = ["up", "web", "cli", "oth"];

    private readonly string _directory;
    public readonly HostConfig Config;
    public HostPipeline Pipeline;
    public readonly byte[] Frame = GC.AllocateArray<byte>(FrameSize, pinned: true);

    public PolicyRig(string policy, string extension = ".json")
    {
        _directory = System.IO.Directory.CreateTempSubdirectory("xdpnet-policy-rig-").FullName;
        var policyPath = Path.Combine(_directory, "policy" + extension);
        File.WriteAllText(policyPath, policy);
        Config = CreateConfig(policyPath);
        Pipeline = HostPipelineBuilder.Build(Config, Interfaces(Config), hostAddresses: [],
            interfaceAddresses: new Dictionary<string, IReadOnlyList<IPAddress>>());
    }

    public string Directory => _directory;

    public static string V4(int container) => container == Up ? "198.18.9.2" : $"198.18.{container}.2";
    public static string V6(int container) => container == Up ? "2001:db8:9::2" : $"2001:db8:{container}::2";
    public static string Address(int container, bool ipv6) => ipv6 ? V6(container) : V4(container);

    public static HostConfig CreateConfig(string policyPath)
    {
        var config = new HostConfig
        {
            Node = new NodeConfig { Name = "rig" },
            Umem = new UmemConfig { FrameSize = 4096, Frames = 32768, Headroom = 256 },
            Policy = new PolicyConfig { Files = [policyPath] },
        };
        for (var i = 0; i < Names.Length; i++)
        {
            config.Interfaces.Add(new InterfaceConfig { Name = Names[i], Role = i == Up ? "uplink" : "local", Mac = HostMacs[i] });
        }
        config.Routes.Add(new RouteConfig { Prefix = "198.18.9.0/24", Interface = "up", NextHopMac = RouterMac });
        config.Routes.Add(new RouteConfig { Prefix = "2001:db8:9::/64", Interface = "up", NextHopMac = RouterMac });
        string[] labels = ["app=client", "app=web", "app=client", "app=other"];
        for (var c = Web; c <= Oth; c++)
        {
            config.Routes.Add(new RouteConfig { Prefix = V4(c) + "/32", Interface = Names[c], NextHopMac = ContainerMacs[c] });
            config.Routes.Add(new RouteConfig { Prefix = V6(c) + "/128", Interface = Names[c], NextHopMac = ContainerMacs[c] });
            config.Endpoints.Add(new EndpointConfig { Name = Names[c], Interface = Names[c], Addresses = [V4(c), V6(c)], Labels = [labels[c]] });
        }
        config.Endpoints.Add(new EndpointConfig { Name = "remote-client", Addresses = [V4(Up), V6(Up)], Labels = [labels[Up]] });
        return config;
    }

    public static List<ResolvedInterface> Interfaces(HostConfig config)
    {
        var list = new List<ResolvedInterface>();
        for (var i = 0; i < config.Interfaces.Count; i++)
        {
            list.Add(new ResolvedInterface(i, config.Interfaces[i].Name, 100 + i, MacAddress.Parse(config.Interfaces[i].Mac!), 1500));
        }
        return list;
    }

    /// <summary>A TCP segment as container (or, for <see cref="Up"/>, the remote host) <paramref name="from"/> sends it to <paramref name="to"/>.</summary>
    public static byte[] Tcp(int from, int to, ushort sourcePort, ushort destinationPort, TcpHeader.Flag flags, bool ipv6,
        uint sequence = 1000, uint acknowledgment = 0, string? sourceAddress = null)
    {
        var eth = PacketBuilder.Ethernet(HostMacs[from], from == Up ? RouterMac : ContainerMacs[from]);
        var src = sourceAddress ?? Address(from, ipv6);
        var ip = ipv6 ? eth.Ipv6(src, Address(to, ipv6)) : eth.Ipv4(src, Address(to, ipv6));
        return ip.Tcp(sourcePort, destinationPort, flags, sequence, acknowledgment).Build();
    }

    public static byte[] Ping(int from, int to, bool ipv6, ushort identifier = 7)
    {
        var eth = PacketBuilder.Ethernet(HostMacs[from], from == Up ? RouterMac : ContainerMacs[from]);
        return ipv6 ? eth.Ipv6(V6(from), V6(to)).Icmpv6Echo(identifier, 1).Build() : eth.Ipv4(V4(from), V4(to)).IcmpEcho(identifier, 1).Build();
    }

    public static byte[] Udp(int from, int to, ushort sourcePort, ushort destinationPort, bool ipv6)
    {
        var eth = PacketBuilder.Ethernet(HostMacs[from], from == Up ? RouterMac : ContainerMacs[from]);
        var ip = ipv6 ? eth.Ipv6(V6(from), V6(to)) : eth.Ipv4(V4(from), V4(to));
        return ip.Udp(sourcePort, destinationPort, [1, 2, 3, 4]).Build();
    }

    public sealed record Result(Verdict Verdict, DropReason Reason, int Egress)
    {
        public override string ToString() => $"{Verdict} {Reason} egress {Egress}";
    }

    /// <summary>Runs <paramref name="frame"/> as received on <paramref name="ingress"/>.</summary>
    public Result Run(byte[] frame, int ingress, PacketEmitter? emitter = null)
    {
        Array.Clear(Frame);
        var verdict = RunQuiet(frame, ingress, emitter, out var reason, out var egress);
        return new Result(verdict, reason, egress);
    }

    /// <summary>The allocation-free form of <see cref="Run"/>.</summary>
    public Verdict RunQuiet(byte[] frame, int ingress, PacketEmitter? emitter, out DropReason reason, out int egress)
    {
        frame.CopyTo(Frame, Headroom);
        var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Frame));
        var packet = new PacketContext(start + Headroom, frame.Length, Headroom, FrameSize - Headroom - frame.Length, ingress) { Emitter = emitter };
        var verdict = Pipeline.Process(ref packet);
        reason = packet.Reason;
        egress = packet.EgressInterface;
        return verdict;
    }

    public Xdp.Filter.Stage.PolicyEngine Engine => Pipeline.Policy ?? throw new InvalidOperationException("no policy engine");

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is harmless.
        }
    }
}
