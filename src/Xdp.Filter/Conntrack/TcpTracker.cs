using Xdp.Runtime.Wire;

namespace Xdp.Filter.Conntrack;

/// <summary>
/// The TCP state machine of a tracked flow as a middlebox sees both ends (RFC 9293 section 3.3.2's states; the
/// transitions follow Linux nf_conntrack_proto_tcp's table without its sequence-window checks).
/// </summary>
internal static class TcpTracker
{
    private const TcpHeader.Flag Syn = TcpHeader.Flag.Syn;
    private const TcpHeader.Flag Ack = TcpHeader.Flag.Ack;
    private const TcpHeader.Flag Fin = TcpHeader.Flag.Fin;
    private const TcpHeader.Flag Rst = TcpHeader.Flag.Rst;

    internal enum Outcome : byte
    {
        /// <summary>The packet fits the flow; the new state is in the out parameter.</summary>
        Valid,
        /// <summary>The flow's state forbids the packet: the entry is left alone.</summary>
        Invalid,
        /// <summary>A SYN on a flow in TIME_WAIT or CLOSE: a new connection reusing the tuple (RFC 9293 section 3.10.7.4).</summary>
        Reopen,
    }

    /// <summary>
    /// Whether a TCP segment with no flow may create one: a SYN without ACK, FIN or RST (RFC 9293 section 3.5: the
    /// first segment of a connection). Anything else with no flow is invalid (Linux with nf_conntrack_tcp_loose=0).
    /// </summary>
    internal static bool CanOpen(TcpHeader.Flag flags) => (flags & (Syn | Ack | Fin | Rst)) == Syn;

    /// <summary>
    /// The state after <paramref name="flags"/> travelling in <paramref name="direction"/>. <paramref name="finBits"/>
    /// holds which directions have sent FIN (<see cref="ConntrackTable"/>'s FIN flags) and is updated.
    /// </summary>
    internal static Outcome Next(FlowState state, TcpHeader.Flag flags, FlowDirection direction, ref byte finBits, out FlowState next)
    {
        next = state;
        var original = direction == FlowDirection.Original;
        var myFin = original ? FinOriginal : FinReply;
        if ((flags & Rst) != 0)
        {
            // RFC 9293 section 3.10.7: RST aborts in every state. (Linux also checks it is in the window.)
            if ((flags & Syn) != 0) return Outcome.Invalid;
            next = FlowState.Close;
            return Outcome.Valid;
        }
        if ((flags & Syn) != 0)
        {
            if ((flags & Fin) != 0) return Outcome.Invalid;
            var synAck = (flags & Ack) != 0;
            switch (state)
            {
                case FlowState.SynSent:
                    // The originator retransmits its SYN; the responder answers SYN-ACK, or SYN (simultaneous open).
                    if (original) return synAck ? Outcome.Invalid : Outcome.Valid;
                    next = FlowState.SynReceived;
                    return Outcome.Valid;
                case FlowState.SynReceived:
                    return Outcome.Valid; // retransmissions, and the SYN-ACKs of a simultaneous open
                case FlowState.Established:
                    // A retransmitted SYN-ACK when the handshake's last ACK was lost; a new SYN is not allowed.
                    return !original && synAck ? Outcome.Valid : Outcome.Invalid;
                case FlowState.TimeWait:
                case FlowState.Close:
                    if (synAck) return Outcome.Invalid;
                    return Outcome.Reopen;
                default:
                    return Outcome.Invalid;
            }
        }
        if ((flags & Fin) != 0)
        {
            switch (state)
            {
                case FlowState.SynReceived:
                case FlowState.Established:
                    finBits |= myFin;
                    next = FlowState.FinWait;
                    return Outcome.Valid;
                case FlowState.FinWait:
                case FlowState.CloseWait:
                    if ((finBits & myFin) != 0) return Outcome.Valid; // retransmitted FIN
                    finBits |= myFin;
                    next = FlowState.LastAck;
                    return Outcome.Valid;
                case FlowState.LastAck:
                case FlowState.TimeWait:
                case FlowState.Close:
                    return Outcome.Valid;
                default:
                    return Outcome.Invalid;
            }
        }
        if ((flags & Ack) == 0) return Outcome.Invalid; // RFC 9293 section 3.10.7.4: past SYN, every segment carries ACK
        switch (state)
        {
            case FlowState.SynSent:
                return Outcome.Invalid; // nothing but SYN-ACK/SYN/RST answers a SYN
            case FlowState.SynReceived:
                // The originator's ACK of the SYN-ACK completes the three-way handshake (RFC 9293 section 3.5).
                if (original) next = FlowState.Established;
                return Outcome.Valid;
            case FlowState.FinWait:
                // The side that has not sent FIN acknowledges it: half-closed.
                if ((finBits & myFin) == 0) next = FlowState.CloseWait;
                return Outcome.Valid;
            case FlowState.LastAck:
                next = FlowState.TimeWait;
                return Outcome.Valid;
            default:
                return Outcome.Valid; // Established, CloseWait, TimeWait, Close
        }
    }

    internal const byte FinOriginal = 1;
    internal const byte FinReply = 2;
}
