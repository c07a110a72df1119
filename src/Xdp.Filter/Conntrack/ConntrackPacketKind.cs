namespace Xdp.Filter.Conntrack;

/// <summary>What a packet is to connection tracking.</summary>
public enum ConntrackPacketKind : byte
{
    /// <summary>Not tracked: other IP protocols, informational ICMP (NDP, MLD, router messages), non-first fragments.</summary>
    Other,
    Tcp,
    Udp,
    /// <summary>ICMP Echo (RFC 792) / ICMPv6 Echo Request (RFC 4443 section 4.1); the identifier is the port.</summary>
    EchoRequest,
    /// <summary>ICMP Echo Reply / ICMPv6 Echo Reply (RFC 4443 section 4.2).</summary>
    EchoReply,
    /// <summary>
    /// Destination Unreachable, Time Exceeded, Parameter Problem (ICMP and ICMPv6), Packet Too Big (ICMPv6) with a
    /// quoted TCP, UDP or echo packet in <see cref="ConntrackPacket.Quoted"/>.
    /// </summary>
    IcmpError,
    /// <summary>One of those errors whose quoted packet could not be read (too short, a fragment, or nothing conntrack follows).</summary>
    IcmpErrorUnreadableQuote,
}
