using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Xdp.Ila;

/// <summary>
/// Identifier -> <see cref="IlaMapping"/> table read by the worker without locks and changed in place by one writer
/// at a time (the control plane), so a change of one mapping among a million is O(1) and pauses no reader.
/// <para>
/// Layout: open addressing over flat arrays in groups of 8 keys, one 64-byte cache line each (the key array is pinned
/// and aligned): a lookup hashes to a home group, compares all 8 keys with the probe at once (two Vector256 or four
/// Vector128 compares), and stops at the first group holding the key or an empty slot. Load factor &lt;= 3/4 keeps
/// nearly every lookup to one group: two cache misses (keys, then values) whatever the size. The group count need
/// not be a power of two (Lemire's multiply-shift range reduction). Key 0 marks an empty slot; the identifier 0 has
/// a value slot of its own after the others.
/// </para>
/// <para>
/// Why this concurrency design (single writer, lock-free readers, RCU-style growth) rather than deltas queued to the
/// worker: the worker stays the plain reader it was (no queue to drain, nothing to apply between batches), a change
/// is visible to it at once, and the control plane needs no copy of the table to know what it holds.
/// </para>
/// <list type="bullet">
/// <item>A key, once written to a slot, stays there for the life of the storage: probe chains never break, so a
/// reader never misses a present key because of a concurrent write. Removal clears the value's Present bit
/// (a tombstone: the slot is reused if the same identifier comes back).</item>
/// <item>A new key: its value is written first, then the key is published with a release store. A reader that sees
/// the key reads the value through it (a dependent load, ordered by the .NET memory model), so it sees the value.
/// Aligned 8-byte lanes of a vector load are single-copy atomic on x86-64 (Intel SDM vol. 3A 9.1.1: 16-byte aligned
/// vector accesses are atomic on AVX processors) and AArch64 (element-sized single-copy atomicity), so a lane is
/// either 0 or the whole key, never a torn mix that could equal another probe.</item>
/// <item>A value is 16 bytes (locator, then metadata: next hop, mode, Present, a Writing bit and a sequence). A
/// change of the locator alone is one atomic 8-byte store: a reader sees the old or the new locator. Any other change
/// is a seqlock: Writing set (full fence), locator, metadata with the sequence bumped (release); the reader reads
/// metadata, locator, metadata with acquire loads and retries while they differ or Writing is set. Readers never
/// see a mix of two values.</item>
/// <item>Keys plus tombstones above 3/4 of the slots: the writer builds a larger storage (1.5x the live entries,
/// compacting tombstones) off the hot path and publishes it with one reference store; a reader still in the old one
/// finishes there (it is never written again, and the GC keeps it while referenced).</item>
/// </list>
/// Writers (<see cref="Set"/>, <see cref="Remove"/>, <see cref="Reset"/>) must not run concurrently with each other
/// (a second writer is refused with <see cref="InvalidOperationException"/>); lookups may run on any thread at any time.
/// </summary>
public sealed class IlaMappingTable
{
    internal const int GroupSize = 8;
    /// <summary>Slots per entry, inverted load factor 4/3.</summary>
    private const int LoadNumerator = 4, LoadDenominator = 3;

    // Value metadata: bits 0-31 next hop, 32-39 mode, 40 present, 41 being written, 42-63 sequence.
    private const int ModeShift = 32;
    private const ulong Present = 1UL << 40;
    private const ulong Writing = 1UL << 41;
    private const int SequenceShift = 42;
    /// <summary>Next hop and mode: what a mapping holds besides its locator.</summary>
    private const ulong MappingBits = (1UL << 40) - 1;

    /// <summary>An empty table that refuses writes (a shared default).</summary>
    public static IlaMappingTable Empty { get; } = new(new Dictionary<ulong, IlaMapping>(), readOnly: true);

    private Storage _storage;
    private readonly bool _readOnly;
    private int _count;
    private int _writer;
    private int _resizes;

    internal IlaMappingTable(Dictionary<ulong, IlaMapping> entries, bool readOnly = false)
    {
        _readOnly = readOnly;
        // A table built to be changed in place gets 1/16 headroom, so the first additions do not resize it at once.
        var headroom = readOnly ? 0 : entries.Count / 16;
        var storage = new Storage(entries.Count + headroom);
        foreach (var (key, value) in entries) storage.Insert(key, NewSlot(value));
        _storage = storage;
        _count = entries.Count;
    }

    /// <summary>Mapped identifiers (tombstones not counted).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Slots allocated (for memory accounting): load factor = Count / Capacity.</summary>
    public int Capacity => Volatile.Read(ref _storage).SlotCount;

    /// <summary>How many times the storage was replaced by a larger (or compacted) one or by <see cref="Reset"/>.</summary>
    public int Resizes => Volatile.Read(ref _resizes);

    /// <summary>Bytes of the key and value arrays (the table's resident size once touched).</summary>
    public long StorageBytes
    {
        get
        {
            var s = Volatile.Read(ref _storage);
            return (long)s.Keys.Length * sizeof(ulong) + (long)s.Values.Length * Unsafe.SizeOf<Slot>();
        }
    }

    /// <summary>The mapping of <paramref name="identifier"/>; false when there is none. O(1), allocation-free, lock-free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLookup(ulong identifier, out IlaMapping mapping)
    {
        // A plain read: a stale storage is still a whole, valid table (growth copies before it publishes).
        var storage = _storage;
        var slot = identifier == 0 ? storage.SlotCount : storage.FindSlot(identifier);
        if (slot >= 0)
        {
            ref var value = ref storage.Values[slot];
            while (true)
            {
                var meta = Volatile.Read(ref value.Meta);
                var locator = Volatile.Read(ref value.Locator);
                if (Volatile.Read(ref value.Meta) == meta && (meta & Writing) == 0)
                {
                    if ((meta & Present) == 0) break;
                    mapping = new IlaMapping(locator, (IlaChecksumMode)(byte)(meta >> ModeShift), (int)(uint)meta);
                    return true;
                }
            }
        }
        mapping = default;
        return false;
    }

    public bool TryLookup(IlaIdentifier identifier, out IlaMapping mapping) => TryLookup(identifier.Value, out mapping);

    /// <summary>
    /// Maps <paramref name="identifier"/> to <paramref name="mapping"/> in place (added, or changed); false when it
    /// already was exactly that. O(1) but for the occasional growth. The caller validated the entry
    /// (<see cref="IlaIdentifier.Validate"/>). One writer at a time.
    /// </summary>
    public bool Set(ulong identifier, IlaMapping mapping)
    {
        EnterWriter();
        try
        {
            var storage = _storage;
            var slot = identifier == 0 ? storage.SlotCount : storage.FindSlot(identifier);
            if (slot < 0)
            {
                if (storage.Used + 1 > storage.MaxUsed) storage = Grow(storage, 1);
                storage.Insert(identifier, NewSlot(mapping));
                Volatile.Write(ref _count, _count + 1);
                return true;
            }
            ref var value = ref storage.Values[slot];
            var old = value.Meta;
            var sameMode = (old & Present) != 0 && (old & MappingBits) == Pack(mapping, 0);
            if (sameMode && value.Locator == mapping.Locator) return false;
            if (sameMode)
            {
                // Only the locator moves (a container moved host): one atomic 8-byte store.
                Volatile.Write(ref value.Locator, mapping.Locator);
                return true;
            }
            WriteValue(ref value, mapping, Present);
            if ((old & Present) == 0) Volatile.Write(ref _count, _count + 1);
            return true;
        }
        finally
        {
            ExitWriter();
        }
    }

    public bool Set(IlaIdentifier identifier, IlaMapping mapping) => Set(identifier.Value, mapping);

    /// <summary>Unmaps <paramref name="identifier"/> (leaves a tombstone); false when it was not mapped. One writer at a time.</summary>
    public bool Remove(ulong identifier)
    {
        EnterWriter();
        try
        {
            var storage = _storage;
            var slot = identifier == 0 ? storage.SlotCount : storage.FindSlot(identifier);
            if (slot < 0) return false;
            ref var value = ref storage.Values[slot];
            var old = value.Meta;
            if ((old & Present) == 0) return false;
            // One store of the metadata: a reader sees the whole old value or none (the locator is left as it was).
            Volatile.Write(ref value.Meta, Bump(old) & ~Present);
            Volatile.Write(ref _count, _count - 1);
            return true;
        }
        finally
        {
            ExitWriter();
        }
    }

    /// <summary>
    /// Replaces the whole content with <paramref name="entries"/> (a resynchronisation): a new storage is built off the
    /// hot path and published with one reference store. One writer at a time.
    /// </summary>
    public void Reset(IlaMappingTableBuilder entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        EnterWriter();
        try
        {
            var storage = new Storage(entries.Count + entries.Count / 16);
            foreach (var (key, value) in entries.Entries) storage.Insert(key, NewSlot(value));
            Publish(storage, entries.Count);
        }
        finally
        {
            ExitWriter();
        }
    }

    /// <summary>Slot index of a non-zero key (live or tombstone), or -1. Vectorised when the hardware accelerates 256- or 128-bit vectors.</summary>
    internal int FindSlot(ulong key) => _storage.FindSlot(key);
    internal int FindSlotVector256(ulong key) => _storage.FindSlotVector256(key);
    internal int FindSlotVector128(ulong key) => _storage.FindSlotVector128(key);
    /// <summary>The reference the vector paths are tested against.</summary>
    internal int FindSlotScalar(ulong key) => _storage.FindSlotScalar(key);

    private Storage Grow(Storage old, int adding)
    {
        // 1.5x the live entries: geometric growth keeps additions amortised O(1); tombstones are dropped.
        var live = _count + adding;
        var next = new Storage(live + Math.Max(live / 2, 64));
        for (var slot = 0; slot <= old.SlotCount; slot++)
        {
            ref var value = ref old.Values[slot];
            if ((value.Meta & Present) == 0) continue;
            next.Insert(slot == old.SlotCount ? 0 : old.Keys[old.KeyOffset + slot], value);
        }
        Publish(next, _count);
        return next;
    }

    private void Publish(Storage storage, int count)
    {
        // Release: the storage's contents are visible before the reference (readers go through it, a dependent load).
        Volatile.Write(ref _storage, storage);
        Volatile.Write(ref _count, count);
        Volatile.Write(ref _resizes, _resizes + 1);
    }

    /// <summary>The seqlock write of a value readers may be reading.</summary>
    private static void WriteValue(ref Slot value, IlaMapping mapping, ulong present)
    {
        var old = value.Meta;
        // Full fence: no reader sees the new locator without first seeing Writing (a release store alone would not
        // keep the later locator store behind it).
        Interlocked.Exchange(ref value.Meta, old | Writing);
        Volatile.Write(ref value.Locator, mapping.Locator);
        Volatile.Write(ref value.Meta, Pack(mapping, Bump(old) >> SequenceShift) | present);
    }

    private static ulong Bump(ulong meta) => (meta & ((1UL << SequenceShift) - 1)) | ((meta >> SequenceShift) + 1) << SequenceShift;

    private static Slot NewSlot(IlaMapping mapping) => new()
    {
        Locator = mapping.Locator,
        Meta = Pack(mapping, 0) | Present,
    };

    private static ulong Pack(IlaMapping mapping, ulong sequence) =>
        (uint)mapping.NextHop | ((ulong)(byte)mapping.Mode << ModeShift) | (sequence << SequenceShift);

    private void EnterWriter()
    {
        if (_readOnly) throw new InvalidOperationException("This table is read-only.");
        if (Interlocked.Exchange(ref _writer, 1) != 0) throw new InvalidOperationException("Another thread is writing to this table: writers must be serialised.");
    }

    private void ExitWriter() => Volatile.Write(ref _writer, 0);

    [StructLayout(LayoutKind.Sequential)]
    private struct Slot
    {
        public ulong Locator;
        public ulong Meta;
    }

    /// <summary>One generation of the arrays; replaced as a whole on growth.</summary>
    private sealed class Storage
    {
        public readonly ulong[] Keys;
        public readonly int KeyOffset;
        /// <summary>SlotCount + 1 values: the last is the identifier 0's.</summary>
        public readonly Slot[] Values;
        public readonly ulong GroupCount;
        public readonly int SlotCount;
        /// <summary>Keys written (live and tombstones), and the bound that triggers growth.</summary>
        public int Used;
        public readonly int MaxUsed;

        public Storage(int entries)
        {
            var slots = Math.Max(GroupSize, (long)entries * LoadNumerator / LoadDenominator + 1);
            var groups = (slots + GroupSize - 1) / GroupSize;
            GroupCount = (ulong)groups;
            SlotCount = checked((int)(groups * GroupSize));
            MaxUsed = (int)((long)SlotCount * LoadDenominator / LoadNumerator);
            // Pinned so the offset that aligns group 0 to a cache line stays valid; one group of slack for the offset.
            Keys = GC.AllocateArray<ulong>(SlotCount + GroupSize, pinned: true);
            KeyOffset = AlignedOffset(Keys);
            Values = new Slot[SlotCount + 1];
        }

        /// <summary>Writes a key not yet present: the value first, then the key with a release store.</summary>
        public void Insert(ulong key, Slot value)
        {
            if (key == 0)
            {
                // The identifier 0's slot is reached without a key: the seqlock write keeps readers whole.
                WriteValue(ref Values[SlotCount], new IlaMapping(value.Locator, (IlaChecksumMode)(byte)(value.Meta >> ModeShift), (int)(uint)value.Meta), Present);
                return;
            }
            var group = HomeGroup(key, GroupCount);
            while (true)
            {
                var slot = FirstEmpty(group);
                if (slot >= 0)
                {
                    Values[slot] = value;
                    Volatile.Write(ref Keys[KeyOffset + slot], key);
                    Used++;
                    return;
                }
                if (++group == GroupCount) group = 0;
            }
        }

        public int FindSlot(ulong key)
        {
            if (key == 0) return -1;
            if (Vector256.IsHardwareAccelerated) return FindSlotVector256(key);
            if (Vector128.IsHardwareAccelerated) return FindSlotVector128(key);
            return FindSlotScalar(key);
        }

        public int FindSlotVector256(ulong key)
        {
            ref var keys = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Keys), KeyOffset);
            var probe = Vector256.Create(key);
            var group = HomeGroup(key, GroupCount);
            for (var n = 0UL; n < GroupCount; n++)
            {
                ref var line = ref Unsafe.Add(ref keys, (nint)(group * GroupSize));
                var low = Vector256.LoadUnsafe(ref line);
                var high = Vector256.LoadUnsafe(ref line, 4);
                var hits = Vector256.Equals(low, probe).ExtractMostSignificantBits()
                    | (Vector256.Equals(high, probe).ExtractMostSignificantBits() << 4);
                if (hits != 0) return (int)(group * GroupSize) + BitOperations.TrailingZeroCount(hits);
                var empty = Vector256.Equals(low, Vector256<ulong>.Zero) | Vector256.Equals(high, Vector256<ulong>.Zero);
                if (empty != Vector256<ulong>.Zero) return -1;
                if (++group == GroupCount) group = 0;
            }
            return -1;
        }

        public int FindSlotVector128(ulong key)
        {
            ref var keys = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Keys), KeyOffset);
            var probe = Vector128.Create(key);
            var group = HomeGroup(key, GroupCount);
            for (var n = 0UL; n < GroupCount; n++)
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
                if (++group == GroupCount) group = 0;
            }
            return -1;
        }

        public int FindSlotScalar(ulong key)
        {
            var group = HomeGroup(key, GroupCount);
            for (var n = 0UL; n < GroupCount; n++)
            {
                var sawEmpty = false;
                for (var i = 0; i < GroupSize; i++)
                {
                    var slot = (int)(group * GroupSize) + i;
                    var candidate = Volatile.Read(ref Keys[KeyOffset + slot]);
                    if (candidate == key) return slot;
                    sawEmpty |= candidate == 0;
                }
                if (sawEmpty) return -1;
                if (++group == GroupCount) group = 0;
            }
            return -1;
        }

        private int FirstEmpty(ulong group)
        {
            for (var i = 0; i < GroupSize; i++)
            {
                var slot = (int)(group * GroupSize) + i;
                if (Keys[KeyOffset + slot] == 0) return slot;
            }
            return -1;
        }
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
