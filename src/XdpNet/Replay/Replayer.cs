using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xdp.Runtime.Bpf;
using Xdp.Runtime.Pipeline;
using XdpNet.Configuration;

namespace XdpNet.Replay;

/// <summary>
/// Runs the host pipeline offline over a pcap file as if every packet had been received on one interface:
/// the steering decision of that interface first (not owned: the kernel would get it, verdict "pass"), then the
/// pipeline on a copy of the packet placed in a frame laid out like a UMEM frame (same frame size and headroom),
/// so stages run the same in-place code as live. Transmitted packets go to <c>DIR/&lt;egress&gt;.pcap</c> with the
/// input's timestamps; every packet gets a line in <c>DIR/verdicts.jsonl</c>.
/// </summary>
public static unsafe class Replayer
{
    /// <summary>Reason written when the packet cannot be received at all: it does not fit the frame (counted by the kernel as rx_dropped).</summary>
    public const string FrameOverflowReason = "xdp-rx-dropped";

    /// <param name="pipeline">The pipeline; the same struct type the live worker runs.</param>
    /// <param name="steering">The ingress interface's steering decision.</param>
    /// <param name="interfaceNames">Names by interface index (the pipeline's egress indices).</param>
    /// <param name="ingress">Index of the ingress interface.</param>
    /// <param name="umem">Frame size and headroom of the frame each packet is copied into.</param>
    /// <exception cref="PcapFormatException">The input is malformed (outputs written so far are kept).</exception>
    public static ReplayResult Run<TPipeline>(
        ref TPipeline pipeline,
        SteeringDecider steering,
        IReadOnlyList<string> interfaceNames,
        int ingress,
        UmemConfig umem,
        PcapReader input,
        string outputDirectory)
        where TPipeline : struct, IPacketStage
    {
        Directory.CreateDirectory(outputDirectory);
        var writers = new Dictionary<int, PcapWriter>();
        var ingressName = interfaceNames[ingress];
        var dataOffset = UmemRules.DataOffset(umem);
        // Pinned for its lifetime, so the pointer stays valid across the loop.
        var frame = GC.AllocateArray<byte>(umem.FrameSize, pinned: true);
        var frameStart = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(frame));
        int index = 0, transmitted = 0, dropped = 0, passed = 0;
        var emitter = new ReplayEmitter(umem.FrameSize);
        try
        {
            using var log = new VerdictLog(Path.Combine(outputDirectory, VerdictLog.FileName));
            while (input.ReadNext() is { } packet)
            {
                var i = index++;
                if (!steering.Owns(packet.Data))
                {
                    passed++;
                    log.Write(i, ingressName, "pass", null, null);
                    continue;
                }
                if (packet.Data.Length > frame.Length - dataOffset)
                {
                    dropped++;
                    log.Write(i, ingressName, "drop", null, FrameOverflowReason);
                    continue;
                }

                Array.Clear(frame);
                packet.Data.CopyTo(frame.AsSpan(dataOffset));
                var context = new PacketContext(frameStart + dataOffset, packet.Data.Length, dataOffset,
                    frame.Length - dataOffset - packet.Data.Length, ingress);
                context.Emitter = emitter;
                emitter.Clear();
                var verdict = pipeline.Process(ref context);

                // Copies (flooding) come out before the packet itself, as the pipeline made them; each gets a line.
                foreach (var (bytes, copyVerdict, copyEgress, copyReason) in emitter.Completed)
                {
                    if (copyVerdict == Verdict.Tx && bytes is not null && (uint)copyEgress < (uint)interfaceNames.Count)
                    {
                        transmitted++;
                        Writer(copyEgress).Write(packet.TimestampNanoseconds, bytes);
                        log.Write(i, ingressName, "tx", interfaceNames[copyEgress], null);
                    }
                    else
                    {
                        dropped++;
                        log.Write(i, ingressName, "drop", null, DropReasons.Name(copyVerdict == Verdict.Drop ? copyReason : DropReason.None));
                    }
                }

                if (verdict == Verdict.Tx && (uint)context.EgressInterface < (uint)interfaceNames.Count)
                {
                    transmitted++;
                    var egress = context.EgressInterface;
                    Writer(egress).Write(packet.TimestampNanoseconds, new ReadOnlySpan<byte>(context.Data, context.Length));
                    log.Write(i, ingressName, "tx", interfaceNames[egress], null);
                }
                else if (verdict == Verdict.Pass)
                {
                    passed++;
                    log.Write(i, ingressName, "pass", null, null);
                }
                else
                {
                    // Continue (no stage claimed the packet) and a Tx to no interface count as drops, as in the live worker.
                    dropped++;
                    log.Write(i, ingressName, "drop", null, DropReasons.Name(verdict == Verdict.Drop ? context.Reason : DropReason.None));
                }
            }
        }
        finally
        {
            foreach (var writer in writers.Values) writer.Dispose();
        }

        PcapWriter Writer(int egress)
        {
            if (!writers.TryGetValue(egress, out var writer))
            {
                writer = PcapWriter.Create(Path.Combine(outputDirectory, interfaceNames[egress] + ".pcap"), input.Nanosecond);
                writers.Add(egress, writer);
            }
            return writer;
        }
        return new ReplayResult(index, transmitted, dropped, passed);
    }
}
