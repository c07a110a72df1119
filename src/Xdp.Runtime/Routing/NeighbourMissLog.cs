using System.Net;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Routing;

/// <summary>An on-link destination the worker found no MAC for: the refresher asks the kernel to resolve it.</summary>
public readonly record struct NeighbourMiss(int EgressInterface, UInt128 AddressNetworkOrder, bool IsIpv6)
{
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref bytes[0], AddressNetworkOrder);
        return IsIpv6 ? new IPAddress(bytes) : new IPAddress(bytes.Slice(0, 4));
    }
}

/// <summary>
/// A lossy single-producer / single-consumer ring of recent <see cref="NeighbourMiss"/>es: the worker records
/// without blocking or allocating (a full ring drops the record; the next packet to that destination records it
/// again), the host's refresher drains it. Shared by every <see cref="ForwardingTables"/> derived from one another.
/// </summary>
public sealed class NeighbourMissLog
{
    private const int Capacity = 256;

    private readonly NeighbourMiss[] _ring = new NeighbourMiss[Capacity];
    private long _head; // written only by the producer
    private long _tail; // written only by the consumer

    /// <summary>Worker side. Consecutive misses for the same destination are recorded once.</summary>
    public void Record(int egressInterface, UInt128 addressNetworkOrder, bool isIpv6)
    {
        var head = _head;
        var tail = Volatile.Read(ref _tail);
        if (head - tail >= Capacity) return;
        if (head > tail)
        {
            ref readonly var last = ref _ring[(int)((head - 1) & (Capacity - 1))];
            if (last.AddressNetworkOrder == addressNetworkOrder && last.EgressInterface == egressInterface && last.IsIpv6 == isIpv6) return;
        }
        _ring[(int)(head & (Capacity - 1))] = new NeighbourMiss(egressInterface, addressNetworkOrder, isIpv6);
        Volatile.Write(ref _head, head + 1); // release: the entry is visible before the index
    }

    /// <summary>IPv4 convenience: the address as the network-order uint read from the header.</summary>
    public void RecordV4(int egressInterface, uint addressNetworkOrder) => Record(egressInterface, addressNetworkOrder, false);

    /// <summary>Refresher side: moves up to <c>destination.Length</c> misses out; returns how many.</summary>
    public int Drain(Span<NeighbourMiss> destination)
    {
        var tail = _tail;
        var head = Volatile.Read(ref _head); // acquire: entries before head are complete
        var count = (int)Math.Min(head - tail, destination.Length);
        for (var i = 0; i < count; i++) destination[i] = _ring[(int)((tail + i) & (Capacity - 1))];
        Volatile.Write(ref _tail, tail + count);
        return count;
    }
}
