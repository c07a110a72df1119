namespace Xdp.Runtime.Pipeline;

/// <summary>
/// Sends extra copies of a packet: the one place a frame is copied (head-end replication of broadcast, unknown
/// unicast and multicast frames). The live worker copies into a free UMEM frame and queues it on the egress TX ring;
/// offline replay writes it to the egress pcap. One virtual call per copy, never per ordinary packet.
/// </summary>
public abstract class PacketEmitter
{
    /// <summary>
    /// Copies <paramref name="source"/>'s bytes into a fresh frame at the same offset (same headroom and tailroom), with
    /// the same ingress interface and identity. False when no frame is free.
    /// </summary>
    public abstract bool TryClone(in PacketContext source, out PacketContext copy);

    /// <summary>
    /// Disposes of a copy made by <see cref="TryClone"/>: transmits it when <paramref name="verdict"/> is
    /// <see cref="Verdict.Tx"/> (on <see cref="PacketContext.EgressInterface"/>), otherwise counts the drop and frees
    /// the frame. Every copy must be completed exactly once.
    /// </summary>
    public abstract void Complete(ref PacketContext copy, Verdict verdict);
}
