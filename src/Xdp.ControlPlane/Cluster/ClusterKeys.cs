using System.Globalization;

namespace Xdp.ControlPlane.Cluster;

/// <summary>
/// The key layout of XdpNet's cluster state in etcd v3 (docs/etcd.md). Every key lives under one prefix (default
/// <c>/xdpnet/</c>); values are JSON (camelCase, unknown members refused) except policies, which are the policy
/// document's own text:
/// <code>
/// endpoints/&lt;name&gt;                      {"addresses":["198.18.1.2","2001:db8:1::2"],"host":"node-a","interface":"veth1","labels":["app=web"]}
/// ila/&lt;sir-prefix&gt;/&lt;identifier&gt;        {"locator":"2001:db8:a::","checksumMode":"neutral-map"}   e.g. ila/2001:db8:5151::/1:0:0:2
/// vxlan/&lt;vni&gt;/fdb/&lt;mac&gt;               {"vtep":"198.18.0.2"}                                      e.g. vxlan/100/fdb/02:00:00:00:00:01
/// vxlan/&lt;vni&gt;/flood/&lt;vtep&gt;             {}
/// policies/&lt;name&gt;                       the policy document (JSON or YAML, as `cilium policy import` or a CiliumNetworkPolicy)
/// hosts/&lt;node&gt;                          {"vtep":"198.18.0.2","locators":["2001:db8:a::"]}   under the host's lease
/// </code>
/// Key segments are canonical so that one entry has exactly one key: a SIR prefix is the compressed IPv6 form of its
/// /64 without the length ("2001:db8:5151::"), an identifier four lower-case hex groups without leading zeros
/// ("1:0:0:2"), a MAC six lower-case two-digit groups, a VTEP the address's standard text, a VNI decimal. Names
/// (endpoints, policies, hosts) are non-empty and hold no '/'. A key in another form is refused, naming the
/// canonical one.
/// </summary>
public sealed class ClusterKeys
{
    public const string DefaultPrefix = "/xdpnet/";
    public const string EndpointsSegment = "endpoints/";
    public const string IlaSegment = "ila/";
    public const string VxlanSegment = "vxlan/";
    public const string PoliciesSegment = "policies/";
    public const string HostsSegment = "hosts/";

    /// <param name="prefix">The prefix every key starts with; a missing trailing '/' is added.</param>
    public ClusterKeys(string prefix = DefaultPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        Prefix = prefix.EndsWith('/') ? prefix : prefix + "/";
    }

    /// <summary>The prefix, ending with '/'.</summary>
    public string Prefix { get; }

    public string Endpoint(string name) => Prefix + EndpointsSegment + CheckName(name, "endpoint name");

    public string EndpointsPrefix => Prefix + EndpointsSegment;

    /// <summary>The key of one ILA mapping; the SIR prefix and identifier are canonicalised.</summary>
    public string Mapping(string sirPrefix, string identifier) =>
        $"{Prefix}{IlaSegment}{Canonical(ClusterSyntax.CanonicalSirPrefix(sirPrefix), sirPrefix, "SIR prefix")}/{Canonical(ClusterSyntax.CanonicalIdentifier(identifier), identifier, "identifier")}";

    public string MappingsPrefix => Prefix + IlaSegment;

    public string Fdb(int vni, string mac) =>
        $"{Prefix}{VxlanSegment}{CheckVni(vni)}/fdb/{Canonical(ClusterSyntax.CanonicalMac(mac), mac, "MAC")}";

    public string Flood(int vni, string vtep) =>
        $"{Prefix}{VxlanSegment}{CheckVni(vni)}/flood/{Canonical(ClusterSyntax.CanonicalAddress(vtep), vtep, "VTEP address")}";

    public string VxlanPrefix => Prefix + VxlanSegment;

    public string Policy(string name) => Prefix + PoliciesSegment + CheckName(name, "policy name");

    public string PoliciesPrefix => Prefix + PoliciesSegment;

    public string Host(string node) => Prefix + HostsSegment + CheckName(node, "node name");

    public string HostsPrefix => Prefix + HostsSegment;

    private static string CheckName(string name, string what)
    {
        if (ClusterSyntax.NameProblem(name) is { } problem)
        {
            throw new ArgumentException($"'{name}' is not a valid {what}: {problem}", nameof(name));
        }

        return name;
    }

    private static string CheckVni(int vni) => ClusterSyntax.IsVni(vni)
        ? vni.ToString(CultureInfo.InvariantCulture)
        : throw new ArgumentOutOfRangeException(nameof(vni), vni, "a VNI is 0..16777215 (24 bits, RFC 7348 section 5)");

    private static string Canonical(string? canonical, string text, string what) =>
        canonical ?? throw new ArgumentException($"'{text}' is not a valid {what}", nameof(text));
}
