namespace Xdp.Vxlan;

/// <summary>
/// Counters of the VXLAN stage, written only by the worker and read by the stats server (plain 64-bit fields, as
/// <c>InterfaceCounters</c>). Drops are counted per interface under their DropReason; these count what was done.
/// </summary>
public sealed class VxlanCounters
{
    /// <summary>Frames encapsulated towards a remote VTEP (flood copies included).</summary>
    public long Encapsulated;
    /// <summary>Frames decapsulated from a remote VTEP.</summary>
    public long Decapsulated;
    /// <summary>Frames switched between two local members of a segment.</summary>
    public long LocalSwitched;
    /// <summary>Frames replicated head-end (broadcast, unknown unicast, multicast).</summary>
    public long Flooded;
    /// <summary>Extra copies made for flooding.</summary>
    public long FloodCopies;
    /// <summary>Copies not made: no free frame.</summary>
    public long FloodCopyFailures;
    /// <summary>New or moved entries learned (local sources and remote VTEPs).</summary>
    public long Learned;
    /// <summary>Entries not learned because the learned table's probe window was full of live entries.</summary>
    public long FdbFull;
    /// <summary>Frames too big for the underlay after encapsulation.</summary>
    public long TooBig;
    /// <summary>ICMP Fragmentation Needed / ICMPv6 Packet Too Big sent back for them.</summary>
    public long IcmpTooBigSent;
    /// <summary>Frames sent with a Group Policy ID (GBP).</summary>
    public long GbpSent;
    /// <summary>Frames received with a Group Policy ID (GBP).</summary>
    public long GbpReceived;
}
