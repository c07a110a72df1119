namespace Xdp.Filter.Conntrack;

/// <summary>
/// State of a tracked flow. TCP follows RFC 9293 section 3.3.2 as a middlebox sees both ends (Linux
/// nf_conntrack_proto_tcp's states without window tracking); UDP and ICMP echo have two pseudo-states.
/// </summary>
public enum FlowState : byte
{
    None,
    /// <summary>SYN seen from the originator.</summary>
    SynSent,
    /// <summary>SYN-ACK (or a simultaneous-open SYN) seen from the responder.</summary>
    SynReceived,
    /// <summary>The originator acknowledged the responder's SYN: the three-way handshake is complete.</summary>
    Established,
    /// <summary>One side sent FIN.</summary>
    FinWait,
    /// <summary>The other side acknowledged that FIN without sending its own (half-closed).</summary>
    CloseWait,
    /// <summary>Both sides sent FIN; waiting for the last ACK.</summary>
    LastAck,
    /// <summary>The last FIN was acknowledged.</summary>
    TimeWait,
    /// <summary>A RST was seen.</summary>
    Close,
    /// <summary>UDP: datagrams from the originator only.</summary>
    UdpUnreplied,
    /// <summary>UDP: the responder answered (assured).</summary>
    UdpReplied,
    /// <summary>ICMP/ICMPv6 echo request seen, no reply yet.</summary>
    IcmpUnreplied,
    /// <summary>ICMP/ICMPv6 echo reply seen (assured).</summary>
    IcmpReplied,
}

/// <summary>Display names as <c>conntrack -L</c> prints them.</summary>
public static class FlowStates
{
    internal const int Count = (int)FlowState.IcmpReplied + 1;

    public static string Name(FlowState state) => state switch
    {
        FlowState.SynSent => "SYN_SENT",
        FlowState.SynReceived => "SYN_RECV",
        FlowState.Established => "ESTABLISHED",
        FlowState.FinWait => "FIN_WAIT",
        FlowState.CloseWait => "CLOSE_WAIT",
        FlowState.LastAck => "LAST_ACK",
        FlowState.TimeWait => "TIME_WAIT",
        FlowState.Close => "CLOSE",
        FlowState.UdpUnreplied or FlowState.IcmpUnreplied => "UNREPLIED",
        FlowState.UdpReplied or FlowState.IcmpReplied => "REPLIED",
        _ => "NONE",
    };
}
