using System.Net;
using XdpNet.Cni.Ipam;
using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Configuration;

internal enum NetworkMode
{
    /// <summary>Routed: each container holds an IPv6 SIR address (/128) whose identifier comes from this host's range.</summary>
    Ila,
    /// <summary>Bridged: each container is a member of a VXLAN segment with an address from the segment's subnet.</summary>
    Vxlan,
}

/// <summary>
/// The network configuration the runtime streams on stdin (CNI 1.0 "Network configuration"), checked. Keys of this
/// plugin: <c>socket</c>, <c>mode</c>, <c>mtu</c>, <c>dataDir</c>, <c>labels</c>, <c>timeoutSeconds</c>; ILA:
/// <c>sirPrefix</c>, <c>identifierRange</c>; VXLAN: <c>vni</c>, <c>subnet</c>, <c>gateway</c>, <c>rangeStart</c>,
/// <c>rangeEnd</c>.
/// </summary>
internal sealed record NetworkConfig
{
    public const string PluginType = "xdpnet-cni";
    public const string DefaultSocket = "/run/xdpnet/xdpnet.sock";
    public const string DefaultDataDir = "/var/lib/xdpnet-cni";

    /// <summary>The containers' gateway in ILA mode: a link-local address put on the host end of every veth, so the
    /// kernel (or xdpnet's neighbour responder, which answers the host's own addresses) resolves it; RFC 4861 lets a
    /// default router be link-local.</summary>
    public static readonly IPAddress IlaGateway = IPAddress.Parse("fe80::1");

    public required string CniVersion { get; init; }
    public required string Name { get; init; }
    public required NetworkMode Mode { get; init; }
    public string Socket { get; init; } = DefaultSocket;
    public string DataDir { get; init; } = DefaultDataDir;
    public required int Mtu { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>The network's <c>labels</c>: every endpoint of the network gets them unless a runtime label overrides the key.</summary>
    public required IReadOnlyDictionary<string, string> DefaultLabels { get; init; }
    /// <summary>Labels from the runtime in the configuration (<c>args.cni.labels</c>, then <c>runtimeConfig.labels</c>).</summary>
    public required IReadOnlyDictionary<string, string> RuntimeLabels { get; init; }
    public required AddressPool Pool { get; init; }

    /// <summary>ILA: the SIR prefix (/64). VXLAN: the segment subnet's network address.</summary>
    public required IPAddress Prefix { get; init; }
    public required int PrefixLength { get; init; }

    /// <summary>VXLAN: the segment's VNI; 0 in ILA mode.</summary>
    public int Vni { get; init; }

    /// <summary>The containers' default gateway: fe80::1 in ILA mode, the configured one (or none) for VXLAN.</summary>
    public IPAddress? Gateway { get; init; }

    public CniResult? PrevResult { get; init; }
}
