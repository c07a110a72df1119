using System.Numerics;
using System.Runtime.CompilerServices;
using Xdp.Runtime.Wire;

namespace Xdp.Vxlan;

/// <summary>What <see cref="LearnedFdb.Learn"/> did.</summary>
public enum LearnResult : byte
{
    /// <summary>Known at the same place and fresh: nothing written.</summary>
    Unchanged,
    /// <summary>Known at the same place; its age was reset.</summary>
    Refreshed,
    /// <summary>A new entry, or the MAC moved (another member or another VTEP).</summary>
    Learned,
    /// <summary>No free or expired slot in the key's probe window: not learned.</summary>
    Full,
}

/// <summary>A learned entry as shown to operators.</summary>
public readonly record struct LearnedFdbEntry(uint Vni, MacAddress Mac, int LocalInterface, VtepAddress? Remote, long AgeMilliseconds);

/// <summary>
/// MACs learned from traffic, as a bridge learns them: local sources (the member interface they came in on) and remote
/// sources of decapsulated frames (the outer source VTEP). Open addressing with linear probing over a fixed window of
/// <see cref="ProbeWindow"/> slots; entries age out after <see cref="VxlanSettings.AgeingMilliseconds"/>.
/// <para>
/// Eviction rule: a slot is only ever taken by a new key when it is empty or its entry has expired, so a burst of new
/// MACs never pushes out live ones; when the whole window is live the new MAC is not learned (counted as FdbFull) and
/// its frames are flooded, as a full kernel bridge FDB does. Slots are never emptied, only expired, so lookups can stop
/// at the first never-used slot.
/// </para>
/// <para>
/// Written only by the worker (single writer). Other threads read it for <see cref="Snapshot"/>; a torn entry seen there
/// is a display glitch, never a forwarding error. Created once per process and kept across reloads.
/// </para>
/// </summary>
public sealed class LearnedFdb
{
    public const int ProbeWindow = 16;
    /// <summary>An entry's age is rewritten at most this often, so a busy flow does not dirty the cache line per packet.</summary>
    public const long RefreshGranularityMilliseconds = 1000;

    private struct Slot
    {
        public ulong Mac;
        public uint Vni;
        public bool Used;
        public int LocalInterface;
        public VtepAddress Remote;
        public long Seen;
    }

    private readonly Slot[] _slots;
    private readonly int _mask;

    /// <param name="capacity">Entries it can hold at most (rounded up to a power of two; the table has twice as many slots).</param>
    public LearnedFdb(int capacity, long ageingMilliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ageingMilliseconds, 1);
        var slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity * 2, ProbeWindow));
        _slots = new Slot[slots];
        _mask = slots - 1;
        AgeingMilliseconds = ageingMilliseconds;
    }

    /// <summary>Set by the host on reload (the table itself is kept).</summary>
    public long AgeingMilliseconds { get; set; }

    public int SlotCount => _slots.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(uint vni, ulong mac) => (int)((((mac << 16) ^ vni) * 0x9E37_79B9_7F4A_7C15UL) >> 40) & _mask;

    /// <summary>
    /// Where <paramref name="mac"/> in <paramref name="vni"/> was last seen: a local member interface
    /// (<paramref name="localInterface"/> ≥ 0) or a remote VTEP. False when unknown or expired.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLookup(uint vni, ulong mac, long now, out int localInterface, out VtepAddress remote)
    {
        var slots = _slots;
        var i = Home(vni, mac);
        for (var n = 0; n < ProbeWindow; n++, i = (i + 1) & _mask)
        {
            ref var slot = ref slots[i];
            if (!slot.Used) break;
            if (slot.Mac == mac && slot.Vni == vni)
            {
                if (now - slot.Seen > AgeingMilliseconds) break;
                localInterface = slot.LocalInterface;
                remote = slot.Remote;
                return true;
            }
        }
        localInterface = -1;
        remote = default;
        return false;
    }

    /// <summary>Records that <paramref name="mac"/> was seen behind a local interface (≥ 0) or, with -1, behind <paramref name="remote"/>.</summary>
    public LearnResult Learn(uint vni, ulong mac, int localInterface, VtepAddress remote, long now)
    {
        var slots = _slots;
        var i = Home(vni, mac);
        var free = -1;
        for (var n = 0; n < ProbeWindow; n++, i = (i + 1) & _mask)
        {
            ref var slot = ref slots[i];
            if (!slot.Used)
            {
                if (free < 0) free = i;
                break;
            }
            if (slot.Mac == mac && slot.Vni == vni)
            {
                var expired = now - slot.Seen > AgeingMilliseconds;
                if (!expired && slot.LocalInterface == localInterface && (localInterface >= 0 || slot.Remote == remote))
                {
                    if (now - slot.Seen < RefreshGranularityMilliseconds) return LearnResult.Unchanged;
                    slot.Seen = now;
                    return LearnResult.Refreshed;
                }
                slot.LocalInterface = localInterface;
                slot.Remote = localInterface >= 0 ? default : remote;
                slot.Seen = now;
                return LearnResult.Learned;
            }
            if (free < 0 && now - slot.Seen > AgeingMilliseconds) free = i;
        }
        if (free < 0) return LearnResult.Full;
        ref var target = ref slots[free];
        // Key last: a reader that sees the new key also sees a plausible entry (it is a diagnostic read anyway).
        target.LocalInterface = localInterface;
        target.Remote = localInterface >= 0 ? default : remote;
        target.Seen = now;
        target.Vni = vni;
        target.Mac = mac;
        target.Used = true;
        return LearnResult.Learned;
    }

    /// <summary>
    /// Expires every entry behind local interface <paramref name="localInterface"/> (removed from the data plane): its
    /// index may be given to another interface, whose container must not receive frames for the old one's MACs. The
    /// slots stay used (expired), so probe chains through them are not cut. Worker thread only; returns the count.
    /// </summary>
    public int Forget(int localInterface)
    {
        var count = 0;
        var slots = _slots;
        for (var i = 0; i < slots.Length; i++)
        {
            ref var slot = ref slots[i];
            if (!slot.Used || slot.LocalInterface != localInterface) continue;
            // Far enough in the past for any ageing setting, near enough that now - Seen does not overflow.
            slot.Seen = long.MinValue / 4;
            count++;
        }
        return count;
    }

    /// <summary>Live entries (not expired at <paramref name="now"/>), for stats and tests. Allocates; never on the hot path.</summary>
    public List<LearnedFdbEntry> Snapshot(long now)
    {
        var list = new List<LearnedFdbEntry>();
        foreach (var slot in _slots)
        {
            if (!slot.Used) continue;
            var age = now - slot.Seen;
            if (age > AgeingMilliseconds) continue;
            list.Add(new LearnedFdbEntry(slot.Vni, MacAddress.FromValue(slot.Mac), slot.LocalInterface,
                slot.LocalInterface >= 0 ? null : slot.Remote, Math.Max(0, age)));
        }
        return list;
    }
}
