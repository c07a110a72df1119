using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xdp.Runtime.Pipeline;

namespace XdpNet.Replay;

/// <summary>
/// Copies made by the pipeline during replay (head-end replication): each gets its own frame laid out like the input's,
/// and completed copies are kept, in order, for the replayer to write beside the packet's own outcome. Allocates per
/// copy: replay is offline.
/// </summary>
internal sealed unsafe class ReplayEmitter(int frameSize) : PacketEmitter
{
    private readonly List<byte[]> _frames = [];

    /// <summary>Completed copies of the current packet: bytes (transmitted ones only), verdict, egress and reason.</summary>
    public List<(byte[]? Bytes, Verdict Verdict, int Egress, DropReason Reason)> Completed { get; } = [];

    public void Clear()
    {
        _frames.Clear();
        Completed.Clear();
    }

    public override bool TryClone(in PacketContext source, out PacketContext copy)
    {
        var frame = GC.AllocateArray<byte>(frameSize, pinned: true);
        _frames.Add(frame); // kept alive until the packet is done
        var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(frame));
        var data = start + source.Headroom;
        Buffer.MemoryCopy(source.Data, data, source.Length + source.Tailroom, source.Length);
        copy = new PacketContext(data, source.Length, source.Headroom, source.Tailroom, source.IngressInterface)
        {
            SourceIdentity = source.SourceIdentity,
            Emitter = this,
        };
        return true;
    }

    public override void Complete(ref PacketContext copy, Verdict verdict)
    {
        var bytes = verdict == Verdict.Tx ? new ReadOnlySpan<byte>(copy.Data, copy.Length).ToArray() : null;
        Completed.Add((bytes, verdict, copy.EgressInterface, copy.Reason));
    }
}
