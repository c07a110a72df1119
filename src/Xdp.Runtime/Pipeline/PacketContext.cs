namespace Xdp.Runtime.Pipeline;

/// <summary>
/// One packet in flight: a window [Data, Data+Length) inside its frame, with the bytes before
/// (headroom, for encapsulation) and after (tailroom) that the stage may grow into.
/// Stages rewrite bytes in place; no stage copies the packet.
/// </summary>
public unsafe ref struct PacketContext
{
    /// <summary>First byte of the packet (the Ethernet header).</summary>
    public byte* Data;
    public int Length;
    /// <summary>Writable bytes before <see cref="Data"/> in the same frame.</summary>
    public int Headroom;
    /// <summary>Writable bytes after Data+Length in the same frame.</summary>
    public int Tailroom;
    /// <summary>Index of the ingress interface in the host's interface table (not the kernel ifindex).</summary>
    public int IngressInterface;
    /// <summary>Index of the egress interface; set by the stage that returns <see cref="Verdict.Tx"/>.</summary>
    public int EgressInterface;
    /// <summary>Why the packet was dropped; set with <see cref="Verdict.Drop"/>.</summary>
    public DropReason Reason;
    /// <summary>
    /// Security identity of the packet's source when a stage learned it (e.g. the VXLAN-GBP Group Policy ID of a
    /// decapsulated frame); 0 = unknown.
    /// </summary>
    public uint SourceIdentity;
    /// <summary>Where copies of the packet go (head-end replication); null when the caller cannot send copies.</summary>
    public PacketEmitter? Emitter;

    public PacketContext(byte* data, int length, int headroom, int tailroom, int ingressInterface)
    {
        Data = data;
        Length = length;
        Headroom = headroom;
        Tailroom = tailroom;
        IngressInterface = ingressInterface;
        EgressInterface = -1;
        Reason = DropReason.None;
        SourceIdentity = 0;
        Emitter = null;
    }

    public readonly Span<byte> Bytes => new(Data, Length);

    /// <summary>Drop with a named reason (returns <see cref="Verdict.Drop"/> for a tail call).</summary>
    public Verdict Drop(DropReason reason)
    {
        Reason = reason;
        return Verdict.Drop;
    }

    /// <summary>Transmit on an interface (returns <see cref="Verdict.Tx"/>).</summary>
    public Verdict Transmit(int egressInterface)
    {
        EgressInterface = egressInterface;
        return Verdict.Tx;
    }

    /// <summary>Grow the packet at the front by <paramref name="bytes"/> (for an outer header). False when the headroom is too small.</summary>
    public bool Push(int bytes)
    {
        if ((uint)bytes > (uint)Headroom) return false;
        Data -= bytes;
        Length += bytes;
        Headroom -= bytes;
        return true;
    }

    /// <summary>Remove <paramref name="bytes"/> from the front (decapsulation). False when the packet is shorter.</summary>
    public bool Pull(int bytes)
    {
        if ((uint)bytes > (uint)Length) return false;
        Data += bytes;
        Length -= bytes;
        Headroom += bytes;
        return true;
    }
}
