using System.Net;

namespace Xdp.Filter.Policy;

/// <summary>
/// One Cilium policy rule (an element of a <c>cilium policy import</c> array, or a CiliumNetworkPolicy's
/// <c>spec</c>/<c>specs[i]</c>): the endpoints it selects and what it allows or denies in each direction.
/// </summary>
/// <param name="Source">Where it was read, <c>file: path</c>, for diagnostics.</param>
/// <param name="HasIngress"><c>ingress</c> or <c>ingressDeny</c> is present and non-empty (Cilium: "if omitted or empty, this rule does not apply at ingress").</param>
/// <param name="EnableDefaultDenyIngress"><c>enableDefaultDeny.ingress</c>, null when not given (then it follows <paramref name="HasIngress"/>).</param>
public sealed record PolicyRule(
    string Source,
    LabelSelector EndpointSelector,
    IReadOnlyList<PolicyPeerRule> Ingress,
    IReadOnlyList<PolicyPeerRule> IngressDeny,
    IReadOnlyList<PolicyPeerRule> Egress,
    IReadOnlyList<PolicyPeerRule> EgressDeny,
    bool? EnableDefaultDenyIngress,
    bool? EnableDefaultDenyEgress)
{
    public bool HasIngress => Ingress.Count > 0 || IngressDeny.Count > 0;

    public bool HasEgress => Egress.Count > 0 || EgressDeny.Count > 0;

    /// <summary>
    /// Whether this rule puts the endpoints it selects into default deny for <paramref name="direction"/>:
    /// <c>enableDefaultDeny</c> when given, otherwise whether the rule has a section for that direction.
    /// </summary>
    public bool DefaultDeny(PolicyDirection direction) => direction == PolicyDirection.Ingress
        ? EnableDefaultDenyIngress ?? HasIngress
        : EnableDefaultDenyEgress ?? HasEgress;

    public IReadOnlyList<PolicyPeerRule> Allows(PolicyDirection direction) => direction == PolicyDirection.Ingress ? Ingress : Egress;

    public IReadOnlyList<PolicyPeerRule> Denies(PolicyDirection direction) => direction == PolicyDirection.Ingress ? IngressDeny : EgressDeny;
}

/// <summary>
/// One entry of <c>ingress</c>/<c>egress</c>/<c>ingressDeny</c>/<c>egressDeny</c>: peers (endpoint selectors,
/// CIDRs, entities) and L4 (ports, ICMP types).
/// <para>
/// Peers: the union of <see cref="Endpoints"/>, <see cref="Cidrs"/> and <see cref="Entities"/>. A rule naming no
/// peer but giving L4 applies to every peer (Cilium's L4-only rule); a rule giving neither (<c>{}</c>) matches
/// nothing, so <c>ingress: [{}]</c> selects the endpoint into default deny and allows nothing.
/// L4: the union of <see cref="Ports"/> and <see cref="Icmps"/>; when both are empty every protocol and port.
/// </para>
/// </summary>
public sealed record PolicyPeerRule(
    string Path,
    IReadOnlyList<LabelSelector> Endpoints,
    IReadOnlyList<CidrRule> Cidrs,
    IReadOnlyList<PolicyEntity> Entities,
    IReadOnlyList<PortProtocol> Ports,
    IReadOnlyList<IcmpField> Icmps)
{
    public bool NamesPeers => Endpoints.Count > 0 || Cidrs.Count > 0 || Entities.Count > 0;

    public bool HasL4 => Ports.Count > 0 || Icmps.Count > 0;

    /// <summary>No peer and no L4: matches nothing.</summary>
    public bool MatchesNothing => !NamesPeers && !HasL4;
}

/// <summary><c>fromCIDR</c>/<c>toCIDR</c> entry (no exceptions) or <c>fromCIDRSet</c>/<c>toCIDRSet</c> entry.</summary>
public sealed record CidrRule(IPNetwork Cidr, IReadOnlyList<IPNetwork> Except)
{
    public bool Contains(IPAddress address)
    {
        if (!Cidr.Contains(address)) return false;
        foreach (var except in Except)
            if (except.Contains(address)) return false;
        return true;
    }
}

/// <summary>Cilium entities XdpNet can resolve (<c>fromEntities</c>/<c>toEntities</c>).</summary>
public enum PolicyEntity
{
    /// <summary>Every peer.</summary>
    All,
    /// <summary>Peers outside the cluster: the world identity and every CIDR identity.</summary>
    World,
    /// <summary>Every known endpoint and the host.</summary>
    Cluster,
    /// <summary>The local host.</summary>
    Host,
}

/// <summary>L4 protocols of <c>toPorts[].ports[].protocol</c>; <see cref="Any"/> is TCP, UDP and SCTP as in Cilium.</summary>
public enum L4Protocol
{
    Any,
    Tcp,
    Udp,
    Sctp,
    /// <summary>ICMPv4, every type (port must be 0): types are chosen with <c>icmps</c>.</summary>
    Icmp,
    /// <summary>ICMPv6, every type.</summary>
    IcmpV6,
}

/// <summary>A port or port range: <see cref="Port"/> 0 is every port; <see cref="EndPort"/> equals <see cref="Port"/> for one port.</summary>
public sealed record PortProtocol(ushort Port, ushort EndPort, L4Protocol Protocol)
{
    public ushort First => Port;

    public ushort Last => Port == 0 ? ushort.MaxValue : EndPort;
}

public enum IcmpFamily
{
    IPv4,
    IPv6,
}

/// <summary>One <c>icmps[].fields[]</c> entry: an ICMP type of one family.</summary>
public sealed record IcmpField(byte Type, IcmpFamily Family);

/// <summary>Traffic direction as seen from the local endpoint: ingress arrives to it, egress leaves it.</summary>
public enum PolicyDirection
{
    Ingress = 0,
    Egress = 1,
}
