namespace Xdp.Filter.Conntrack;

/// <summary>What connection tracking says about a packet; the policy stage acts on it.</summary>
public enum ConntrackVerdict : byte
{
    /// <summary>
    /// No live flow, and the packet may start one (TCP SYN without ACK, any UDP datagram, an ICMP echo request, or a
    /// SYN reopening a flow in TIME_WAIT/CLOSE). Ask policy; if it allows, call <see cref="ConntrackTable.Create"/>.
    /// </summary>
    New,
    /// <summary>The packet belongs to a live flow (either direction) and updated it: pass without a policy lookup.</summary>
    Established,
    /// <summary>An ICMP/ICMPv6 error quoting a live flow: pass without a policy lookup (RFC 1122 section 3.2.2, RFC 4443 section 2.4).</summary>
    Related,
    /// <summary>
    /// Not a valid part of any flow: a TCP segment other than SYN with no flow (or one the flow's state forbids), an
    /// echo reply with no request, an ICMP error quoting no live flow. Drop (counted).
    /// </summary>
    Invalid,
    /// <summary>
    /// Conntrack does not follow this packet (IP protocols other than TCP/UDP/ICMP, informational ICMP such as NDP,
    /// non-first fragments): policy decides every packet.
    /// </summary>
    Untracked,
    /// <summary>From <see cref="ConntrackTable.Create"/>: no slot for the new flow (see the table's eviction rule). Drop (counted).</summary>
    Full,
}
