namespace Xdp.Runtime.Pipeline;

/// <summary>
/// Named reasons a packet is dropped; each is a counter per interface. Later stages append members
/// before <see cref="Count"/>; names are shown in kebab-case by <see cref="DropReasons.Name"/>.
/// </summary>
public enum DropReason : byte
{
    None = 0,
    /// <summary>Shorter than an Ethernet header, or a header's length check failed.</summary>
    Malformed,
    /// <summary>Neither IPv4 nor IPv6 (and not otherwise handled).</summary>
    UnsupportedEthertype,
    /// <summary>IPv4 header checksum wrong, IHL or total length impossible.</summary>
    BadIpv4Header,
    /// <summary>IPv6 version or payload length impossible.</summary>
    BadIpv6Header,
    /// <summary>No route for the destination.</summary>
    NoRoute,
    /// <summary>TTL / hop limit would reach zero.</summary>
    TtlExceeded,
    /// <summary>Route found but no next-hop MAC known.</summary>
    NoNeighbour,
    /// <summary>The route points back out of the ingress interface with nothing to change.</summary>
    Hairpin,
    /// <summary>The egress TX ring had no room for the descriptor.</summary>
    TxRingFull,
    /// <summary>Packet exceeds the egress MTU.</summary>
    TooBig,
    /// <summary>ILA: the destination is under a SIR prefix but its identifier has no mapping (miss action drop).</summary>
    IlaNoMapping,
    /// <summary>A Neighbor Solicitation failing RFC 4861 section 7.1.1 (hop limit, checksum, code, target, options).</summary>
    BadNeighborSolicitation,
    /// <summary>A valid Neighbor Solicitation on a proxying interface for a target the data plane does not answer for.</summary>
    NeighborNotAnswered,
    /// <summary>VXLAN: the outer UDP payload is shorter than the 8-byte VXLAN header (RFC 7348 section 5).</summary>
    VxlanTruncated,
    /// <summary>VXLAN: the I flag (valid VNI) is not set (RFC 7348 section 5).</summary>
    VxlanBadFlags,
    /// <summary>VXLAN: the VNI names no segment of this host.</summary>
    VxlanUnknownVni,
    /// <summary>VXLAN: the inner frame is shorter than an Ethernet header.</summary>
    VxlanInnerTooShort,
    /// <summary>VXLAN: the outer UDP checksum is wrong, or zero over IPv6 (RFC 6935/6936).</summary>
    VxlanBadChecksum,
    /// <summary>VXLAN: an outer IPv4 fragment (RFC 7348 section 4.3: the destination VTEP may discard them).</summary>
    VxlanFragment,
    /// <summary>VXLAN: a decapsulated frame for a MAC behind another remote VTEP (never re-encapsulated: split horizon).</summary>
    VxlanSplitHorizon,
    /// <summary>A flooded frame with no member or remote VTEP to go to.</summary>
    NoFloodTarget,
    /// <summary>No free UMEM frame for a copy (head-end replication).</summary>
    NoFreeFrame,
    /// <summary>Policy: a deny rule matched (deny wins over allow).</summary>
    PolicyDenied,
    /// <summary>Policy: the endpoint is in default deny for the direction and no allow rule matched.</summary>
    PolicyDefaultDenied,
    /// <summary>Connection tracking: not a valid packet of a flow (e.g. a TCP segment other than SYN opening one, an unrequested echo reply).</summary>
    ConntrackInvalid,
    /// <summary>Connection tracking: no slot for a new flow (the table's eviction rule found none to reuse).</summary>
    ConntrackFull,
    /// <summary>A packet from a local interface whose source address is not one of the endpoints behind that interface.</summary>
    SpoofedSource,
    Count,
}

public static class DropReasons
{
    private static readonly string[] Names = BuildNames();

    /// <summary>kebab-case name of a reason, e.g. <c>no-route</c>.</summary>
    public static string Name(DropReason reason) => (int)reason < Names.Length ? Names[(int)reason] : reason.ToString();

    private static string[] BuildNames()
    {
        var names = new string[(int)DropReason.Count];
        for (var i = 0; i < names.Length; i++)
        {
            var s = ((DropReason)i).ToString();
            var sb = new System.Text.StringBuilder(s.Length + 4);
            for (var j = 0; j < s.Length; j++)
            {
                if (char.IsUpper(s[j]) && j > 0) sb.Append('-');
                sb.Append(char.ToLowerInvariant(s[j]));
            }
            names[i] = sb.ToString();
        }
        return names;
    }
}
