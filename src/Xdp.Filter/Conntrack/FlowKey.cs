namespace Xdp.Filter.Conntrack;

/// <summary>A flow's canonical key as <see cref="FlowSlot"/> stores it (see <see cref="ConntrackTable.MakeKey"/>).</summary>
internal readonly struct FlowKey(ulong a0, ulong a1, ulong b0, ulong b1, ulong rest)
{
    public readonly ulong A0 = a0, A1 = a1, B0 = b0, B1 = b1, Rest = rest;
}
