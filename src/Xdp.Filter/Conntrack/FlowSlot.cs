using System.Runtime.InteropServices;

namespace Xdp.Filter.Conntrack;

/// <summary>
/// One flow in <see cref="ConntrackTable"/>: its canonical key (the endpoint that sorts lower first, so both
/// directions of the flow build the same key), times and counters. 96 bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlowSlot
{
    /// <summary>Canonical endpoint A's address (the lower (address, port)), as two memory-order halves.</summary>
    public ulong A0, A1;
    public ulong B0, B1;
    /// <summary>Port A | port B &lt;&lt; 16 | protocol &lt;&lt; 32 | IPv6 &lt;&lt; 40.</summary>
    public ulong Rest;
    public long Created;
    public long Expires;
    public ulong PacketsOriginal, BytesOriginal;
    public ulong PacketsReply, BytesReply;
    public FlowState State;
    public byte Flags;
    /// <summary><see cref="TcpTracker.FinOriginal"/> | <see cref="TcpTracker.FinReply"/>.</summary>
    public byte FinBits;

    /// <summary>The original direction's source is canonical endpoint B.</summary>
    public const byte OriginalSwapped = 1;
    /// <summary>The flow was answered (TCP established, UDP or echo replied): never evicted before it expires.</summary>
    public const byte Assured = 2;
}
