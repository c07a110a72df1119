using Xdp.Runtime.Pipeline;

namespace Xdp.Runtime.Counters;

/// <summary>
/// Counters of one interface, written only by the worker that owns it and read by the stats server.
/// Plain 64-bit fields: aligned 64-bit stores are atomic on the platforms we run on, and a reader
/// seeing a value one batch old is fine.
/// </summary>
public sealed class InterfaceCounters
{
    public InterfaceCounters(string name) => Name = name;

    public string Name { get; }
    public long RxPackets;
    public long RxBytes;
    public long TxPackets;
    public long TxBytes;
    /// <summary>Drops by <see cref="DropReason"/>, indexed by the enum value.</summary>
    public readonly long[] Drops = new long[(int)DropReason.Count];

    public long TotalDrops
    {
        get
        {
            long sum = 0;
            foreach (var d in Drops) sum += Volatile.Read(in d);
            return sum;
        }
    }
}
