using System.Runtime.CompilerServices;

namespace Xdp.Filter.Policy;

/// <summary>
/// Packet and byte counters per policy map entry, written by one worker only (plain stores; readers on other
/// threads see values at most a batch old, as the rest of the data plane's counters). A reload creates new
/// counters with the new map, since entry indices change.
/// </summary>
public sealed class PolicyCounters
{
    public PolicyCounters(int entries)
    {
        Packets = new long[entries];
        Bytes = new long[entries];
    }

    public long[] Packets { get; }

    public long[] Bytes { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Count(PolicyDecision decision, int bytes)
    {
        var entry = decision.Entry;
        var packets = Packets;
        if ((uint)entry >= (uint)packets.Length) return;
        packets[entry]++;
        Bytes[entry] += bytes;
    }
}
