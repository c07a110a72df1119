namespace Xdp.Filter.Policy;

/// <summary>
/// Numeric security identities, laid out as Cilium's: small reserved numbers, endpoint identities from 256,
/// CIDR identities in the node-local range (bit 24 set) so they never collide with endpoint identities.
/// </summary>
public static class SecurityIdentity
{
    /// <summary>Never assigned: the policy map's "any peer" key.</summary>
    public const uint Any = 0;

    /// <summary>The local host (Cilium <c>reserved:host</c>): the addresses the caller names as the host's own.</summary>
    public const uint Host = 1;

    /// <summary>Any address that is no known endpoint, host address or policy CIDR (Cilium <c>reserved:world</c>).</summary>
    public const uint World = 2;

    /// <summary>First identity of an endpoint label set (Cilium's cluster-local range starts at 256 too).</summary>
    public const uint FirstEndpoint = 256;

    /// <summary>First CIDR identity (Cilium's local identity scope, <c>1 &lt;&lt; 24</c>).</summary>
    public const uint FirstCidr = 1u << 24;

    public static string Describe(uint identity) => identity switch
    {
        Any => "any",
        Host => "reserved:host",
        World => "reserved:world",
        >= FirstCidr => $"cidr/{identity - FirstCidr}",
        _ => $"endpoint/{identity}",
    };
}

/// <summary>Labels of the reserved identities, so selectors such as <c>reserved:host</c> can name them.</summary>
public static class ReservedLabels
{
    public static LabelSet Host { get; } = LabelSet.From([new("reserved:host", "")]);

    /// <summary>World, and every CIDR identity (Cilium gives CIDR identities the world label too).</summary>
    public static LabelSet World { get; } = LabelSet.From([new("reserved:world", "")]);
}
