using System.Net.Sockets;
using System.Numerics;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Routing;

/// <summary>
/// An immutable snapshot of neighbours (from <see cref="NeighbourResolver.ReadTable"/> or built by hand), with
/// allocation-free lookups by (kernel ifindex, address) in flat open-addressing tables.
/// </summary>
public sealed class NeighbourTable
{
    private const ulong HashMultiplier = 0x9E37_79B9_7F4A_7C15UL;
    private const ulong Occupied = 1UL << 63; // MACs are 48 bits: the top bit marks a used slot

    private readonly SlotV4[] _v4;
    private readonly SlotV6[] _v6;
    private readonly int _shiftV4;
    private readonly int _shiftV6;

    private struct SlotV4
    {
        public ulong Key; // ifindex << 32 | address (network order)
        public ulong Mac; // Occupied | MAC value
    }

    private struct SlotV6
    {
        public UInt128 Address;
        public int InterfaceIndex;
        public ulong Mac;
    }

    public static NeighbourTable Empty { get; } = new(Array.Empty<NeighbourEntry>());

    /// <summary>Keeps the usable entries (<see cref="NeighbourEntry.IsUsable"/>); a later duplicate replaces an earlier one.</summary>
    public NeighbourTable(IEnumerable<NeighbourEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var usable = new List<NeighbourEntry>();
        foreach (var entry in entries)
        {
            if (entry.IsUsable && entry.Address is not null) usable.Add(entry);
        }
        Entries = usable;

        var countV4 = 0;
        foreach (var entry in usable) if (entry.Address.AddressFamily == AddressFamily.InterNetwork) countV4++;
        var capacityV4 = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, countV4 * 2));
        var capacityV6 = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, (usable.Count - countV4) * 2));
        _v4 = new SlotV4[capacityV4];
        _v6 = new SlotV6[capacityV6];
        _shiftV4 = 64 - BitOperations.Log2((uint)capacityV4);
        _shiftV6 = 64 - BitOperations.Log2((uint)capacityV6);

        foreach (var entry in usable)
        {
            if (entry.Address.AddressFamily == AddressFamily.InterNetwork)
            {
                var key = KeyV4(entry.KernelInterfaceIndex, NetworkOrder.AddressV4(entry.Address));
                var slot = (int)((key * HashMultiplier) >> _shiftV4);
                while ((_v4[slot].Mac & Occupied) != 0 && _v4[slot].Key != key) slot = (slot + 1) & (_v4.Length - 1);
                _v4[slot] = new SlotV4 { Key = key, Mac = Occupied | entry.Mac.Value };
            }
            else if (entry.Address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                var address = NetworkOrder.AddressV6(entry.Address);
                var slot = SlotOfV6(entry.KernelInterfaceIndex, address, _shiftV6);
                while ((_v6[slot].Mac & Occupied) != 0 && !(_v6[slot].Address == address && _v6[slot].InterfaceIndex == entry.KernelInterfaceIndex))
                {
                    slot = (slot + 1) & (_v6.Length - 1);
                }
                _v6[slot] = new SlotV6 { Address = address, InterfaceIndex = entry.KernelInterfaceIndex, Mac = Occupied | entry.Mac.Value };
            }
        }
    }

    /// <summary>The usable entries the table holds.</summary>
    public IReadOnlyList<NeighbourEntry> Entries { get; }

    public int Count => Entries.Count;

    public bool TryGetV4(int kernelInterfaceIndex, uint addressNetworkOrder, out MacAddress mac)
    {
        var slots = _v4;
        var key = KeyV4(kernelInterfaceIndex, addressNetworkOrder);
        var slot = (int)((key * HashMultiplier) >> _shiftV4);
        while (true)
        {
            ref readonly var candidate = ref slots[slot];
            if ((candidate.Mac & Occupied) == 0) break;
            if (candidate.Key == key)
            {
                mac = MacAddress.FromValue(candidate.Mac);
                return true;
            }
            slot = (slot + 1) & (slots.Length - 1);
        }
        mac = default;
        return false;
    }

    public bool TryGetV6(int kernelInterfaceIndex, UInt128 addressNetworkOrder, out MacAddress mac)
    {
        var slots = _v6;
        var slot = SlotOfV6(kernelInterfaceIndex, addressNetworkOrder, _shiftV6);
        while (true)
        {
            ref readonly var candidate = ref slots[slot];
            if ((candidate.Mac & Occupied) == 0) break;
            if (candidate.Address == addressNetworkOrder && candidate.InterfaceIndex == kernelInterfaceIndex)
            {
                mac = MacAddress.FromValue(candidate.Mac);
                return true;
            }
            slot = (slot + 1) & (slots.Length - 1);
        }
        mac = default;
        return false;
    }

    /// <summary>Lookup by <see cref="System.Net.IPAddress"/> (off the hot path: configuration, diagnostics).</summary>
    public bool TryGet(int kernelInterfaceIndex, System.Net.IPAddress address, out MacAddress mac)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork) return TryGetV4(kernelInterfaceIndex, NetworkOrder.AddressV4(address), out mac);
        if (address.AddressFamily == AddressFamily.InterNetworkV6) return TryGetV6(kernelInterfaceIndex, NetworkOrder.AddressV6(address), out mac);
        mac = default;
        return false;
    }

    private static ulong KeyV4(int interfaceIndex, uint address) => ((ulong)(uint)interfaceIndex << 32) | address;

    private static int SlotOfV6(int interfaceIndex, UInt128 address, int shift)
    {
        var folded = (ulong)address ^ BitOperations.RotateLeft((ulong)(address >> 64), 29) ^ (uint)interfaceIndex;
        return (int)((folded * HashMultiplier) >> shift);
    }
}
