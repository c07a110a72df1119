using System.Net;

namespace Xdp.Filter.Conntrack;

/// <summary>
/// One flow as <c>xdpnet conntrack</c> lists it: the original direction's tuple (the packet that created the flow;
/// replies go the other way), state, times and counters per direction. A copy, taken at one instant.
/// </summary>
public sealed record ConntrackEntry(
    FlowTuple Original,
    FlowState State,
    bool Assured,
    long AgeMilliseconds,
    long RemainingMilliseconds,
    ulong PacketsOriginal,
    ulong BytesOriginal,
    ulong PacketsReply,
    ulong BytesReply)
{
    public IPAddress Source => Original.SourceAddress;
    public IPAddress Destination => Original.DestinationAddress;
    public ushort SourcePort => Original.SourcePort;
    public ushort DestinationPort => Original.DestinationPort;
    public byte Protocol => Original.Protocol;
    public string StateName => FlowStates.Name(State);

    internal static ConntrackEntry From(in FlowSlot flow, long now)
    {
        var a = new UInt128(flow.A1, flow.A0);
        var b = new UInt128(flow.B1, flow.B0);
        var portA = (ushort)flow.Rest;
        var portB = (ushort)(flow.Rest >> 16);
        var protocol = (byte)(flow.Rest >> 32);
        var isIpv6 = ((flow.Rest >> 40) & 1) != 0;
        var tuple = (flow.Flags & FlowSlot.OriginalSwapped) != 0
            ? new FlowTuple(b, a, portB, portA, protocol, isIpv6)
            : new FlowTuple(a, b, portA, portB, protocol, isIpv6);
        return new ConntrackEntry(tuple, flow.State, (flow.Flags & FlowSlot.Assured) != 0, now - flow.Created, flow.Expires - now,
            flow.PacketsOriginal, flow.BytesOriginal, flow.PacketsReply, flow.BytesReply);
    }
}
