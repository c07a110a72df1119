namespace Xdp.Runtime.Neighbors;

/// <summary>Whether, and as whom, the data plane answers a Neighbor Solicitation for a target on an interface.</summary>
public enum NeighborAnswer : byte
{
    /// <summary>Not ours to answer: the target lives on the soliciting link itself, or nothing routes it.</summary>
    None = 0,
    /// <summary>One of the host's own addresses on that interface (the kernel used to answer it): R=1, O=1.</summary>
    Own,
    /// <summary>An address the data plane routes elsewhere (a route out of another interface, or a SIR prefix):
    /// a proxy advertisement, R=0, O=0 (RFC 4861 section 7.2.8).</summary>
    Proxy,
}
