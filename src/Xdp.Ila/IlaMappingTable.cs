using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Xdp.Ila;

/// <summary>
/// Immutable identifier -> <see cref="IlaMapping"/> table, built by <see cref="IlaMappingTableBuilder"/>; a reload
/// builds a new one and publishes it with one reference swap.
/// <para>
/// Open addressing over flat arrays in groups of 8 keys, one 64-byte cache line each (the key array is pinned and
/// aligned): a lookup hashes to a home group, compares all 8 keys with the probe at once (two Vector256 or four
/// Vector128 compares), and stops at the first group holding the key or an empty slot. Groups are filled in probe
/// order and never emptied, so a group with an empty slot ends every chain through it. Load factor &lt;= 3/4 keeps
/// nearly every lookup to one group: two cache misses (keys, then values) whatever the size. The group count need
/// not be a power of two (Lemire's multiply-shift range reduction), so 1M entries take 1.33M slots, 32 MiB.
/// Key 0 marks an empty slot; the identifier 0 is kept aside in a field.
/// </para>
/// </summary>
public sealed class IlaMappingTable
{
    internal const int GroupSize = 8;
    /// <summary>Slots per entry, inverted load factor 4/3.</summary>
    private const int LoadNumerator = 4, LoadDenominator = 3;

    public static IlaMappingTable Empty { get; } = new IlaMappingTableBuilder().Build();

    private readonly ulong[] _keys;
    private readonly int _keyOffset;
    private readonly IlaMapping[] _values;
    private readonly ulong _groupCount;
    private readonly bool _hasZero;
    private readonly IlaMapping _zeroValue;

    internal IlaMappingTable(Dictionary<ulong, IlaMapping> entries)
    {
        Count = entries.Count;
        var slots = Math.Max(GroupSize, (long)entries.Count * LoadNumerator / LoadDenominator + 1);
        var groups = (slots + GroupSize - 1) / GroupSize;
        _groupCount = (ulong)groups;
        var slotCount = checked((int)(groups * GroupSize));
        // Pinned so the offset that aligns group 0 to a cache line stays valid; one group of slack for the offset.
        _keys = GC.AllocateArray<ulong>(slotCount + GroupSize, pinned: true);
        _keyOffset = AlignedOffset(_keys);
        _values = new IlaMapping[slotCount];
        foreach (var (key, value) in entries)
        {
            if (key == 0)
            {
                _hasZero = true;
                _zeroValue = value;
                continue;
            }
            var group = HomeGroup(key, _groupCount);
            while (true)
            {
                var slot = FirstEmpty(group);
                if (slot >= 0)
                {
                    _keys[_keyOffset + slot] = key;
                    _values[slot] = value;
                    break;
                }
                if (++group == _groupCount) group = 0;
            }
        }
    }

    public int Count { get; }

    /// <summary>Slots allocated (for memory accounting): load factor = Count / Capacity.</summary>
    public int Capacity => _values.Length;

    /// <summary>The mapping of <paramref name="identifier"/>; false when there is none. O(1), allocation-free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLookup(ulong identifier, out IlaMapping mapping)
    {
        var slot = FindSlot(identifier);
        if (slot >= 0)
        {
            mapping = _values[slot];
            return true;
        }
        if (identifier == 0 && _hasZero)
        {
            mapping = _zeroValue;
            return true;
        }
        mapping = default;
        return false;
    }

    public bool TryLookup(IlaIdentifier identifier, out IlaMapping mapping) => TryLookup(identifier.Value, out mapping);

    /// <summary>Slot index of a non-zero key, or -1. Vectorised when the hardware accelerates 256- or 128-bit vectors.</summary>
    internal int FindSlot(ulong key)
    {
        if (key == 0) return -1;
        if (Vector256.IsHardwareAccelerated) return FindSlotVector256(key);
        if (Vector128.IsHardwareAccelerated) return FindSlotVector128(key);
        return FindSlotScalar(key);
    }

    internal int FindSlotVector256(ulong key)
    {
        ref var keys = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_keys), _keyOffset);
        var probe = Vector256.Create(key);
        var group = HomeGroup(key, _groupCount);
        for (var n = 0UL; n < _groupCount; n++)
        {
            ref var line = ref Unsafe.Add(ref keys, (nint)(group * GroupSize));
            var low = Vector256.LoadUnsafe(ref line);
            var high = Vector256.LoadUnsafe(ref line, 4);
            var hits = Vector256.Equals(low, probe).ExtractMostSignificantBits()
                | (Vector256.Equals(high, probe).ExtractMostSignificantBits() << 4);
            if (hits != 0) return (int)(group * GroupSize) + BitOperations.TrailingZeroCount(hits);
            var empty = Vector256.Equals(low, Vector256<ulong>.Zero) | Vector256.Equals(high, Vector256<ulong>.Zero);
            if (empty != Vector256<ulong>.Zero) return -1;
            if (++group == _groupCount) group = 0;
        }
        return -1;
    }

    internal int FindSlotVector128(ulong key)
    {
        ref var keys = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_keys), _keyOffset);
        var probe = Vector128.Create(key);
        var group = HomeGroup(key, _groupCount);
        for (var n = 0UL; n < _groupCount; n++)
        {
            ref var line = ref Unsafe.Add(ref keys, (nint)(group * GroupSize));
            var a = Vector128.LoadUnsafe(ref line);
            var b = Vector128.LoadUnsafe(ref line, 2);
            var c = Vector128.LoadUnsafe(ref line, 4);
            var d = Vector128.LoadUnsafe(ref line, 6);
            var hits = Vector128.Equals(a, probe).ExtractMostSignificantBits()
                | (Vector128.Equals(b, probe).ExtractMostSignificantBits() << 2)
                | (Vector128.Equals(c, probe).ExtractMostSignificantBits() << 4)
                | (Vector128.Equals(d, probe).ExtractMostSignificantBits() << 6);
            if (hits != 0) return (int)(group * GroupSize) + BitOperations.TrailingZeroCount(hits);
            var zero = Vector128<ulong>.Zero;
            var empty = Vector128.Equals(a, zero) | Vector128.Equals(b, zero) | Vector128.Equals(c, zero) | Vector128.Equals(d, zero);
            if (empty != zero) return -1;
            if (++group == _groupCount) group = 0;
        }
        return -1;
    }

    /// <summary>The reference the vector paths are tested against.</summary>
    internal int FindSlotScalar(ulong key)
    {
        var group = HomeGroup(key, _groupCount);
        for (var n = 0UL; n < _groupCount; n++)
        {
            var sawEmpty = false;
            for (var i = 0; i < GroupSize; i++)
            {
                var slot = (int)(group * GroupSize) + i;
                var candidate = _keys[_keyOffset + slot];
                if (candidate == key) return slot;
                sawEmpty |= candidate == 0;
            }
            if (sawEmpty) return -1;
            if (++group == _groupCount) group = 0;
        }
        return -1;
    }

    private int FirstEmpty(ulong group)
    {
        for (var i = 0; i < GroupSize; i++)
        {
            var slot = (int)(group * GroupSize) + i;
            if (_keys[_keyOffset + slot] == 0) return slot;
        }
        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong HomeGroup(ulong key, ulong groupCount)
    {
        // Identifiers are often sequential: mix all bits into the high half (splitmix64 finaliser), then reduce the
        // high bits to [0, groupCount) with one multiply.
        key ^= key >> 30;
        key *= 0xBF58_476D_1CE4_E5B9UL;
        key ^= key >> 27;
        key *= 0x94D0_49BB_1331_11EBUL;
        key ^= key >> 31;
        return Math.BigMul(key, groupCount, out _);
    }

    private static unsafe int AlignedOffset(ulong[] pinned)
    {
        var address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        var misalignment = (int)(address & (GroupSize * sizeof(ulong) - 1));
        return misalignment == 0 ? 0 : (GroupSize * sizeof(ulong) - misalignment) / sizeof(ulong);
    }
}
