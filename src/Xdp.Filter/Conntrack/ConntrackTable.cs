using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Xdp.Runtime.Wire;

namespace Xdp.Filter.Conntrack;

/// <summary>
/// The connection-tracking table: 5-tuple flows (IPv4 and IPv6), TCP state, UDP and ICMP echo pseudo-state, ICMP
/// errors related to a flow. Written by one thread (the worker); <see cref="Snapshot"/> may run on another and sees
/// possibly torn entries (display only).
/// <para>
/// <b>One entry per flow, found from both directions.</b> The key is canonical: of the two endpoints (address, port)
/// the lower one is stored first, so a packet and its reply build the same key and one lookup finds the flow
/// whichever way the packet goes; the entry remembers which endpoint sent the first packet, which gives the
/// packet's <see cref="FlowDirection"/>. ICMP echo uses the identifier as both ports, so a reply is the request reversed.
/// </para>
/// <para>
/// <b>Layout.</b> Open addressing over flat arrays of a fixed power-of-two capacity: slots in groups of 16, a byte
/// tag per slot (8 hash bits, 0 = empty) so a group is probed with one 16-byte vector compare. A key hashes (keyed
/// with a per-table random seed, so remote hosts cannot aim flows at one group) to two candidate groups; lookups
/// probe both (at most two tag compares plus the key compares of matching tags), inserts go to the emptier one
/// ("power of two choices": a group overflows only near full load). A flow never leaves its two groups, so removal is
/// just clearing the tag: no tombstones, no rehash, nothing allocated after construction.
/// </para>
/// <para>
/// <b>Timeouts</b> are checked lazily against the caller's clock (<c>now</c> in milliseconds, e.g.
/// <see cref="Environment.TickCount64"/>): a flow found expired is removed and the packet treated as having no flow.
/// <see cref="Sweep"/> reclaims expired flows in the background of the worker's loop.
/// </para>
/// <para>
/// <b>Eviction rule</b> (when both candidate groups, 32 slots, are occupied): reuse the slot of an expired flow (the
/// one that expired first); else evict the live flow closest to expiry that is not assured (never answered: SYN_SENT,
/// SYN_RECV, UDP/ICMP unreplied, as Linux's early_drop); else do not create the flow, count
/// <see cref="ConntrackCounters.Full"/> and answer <see cref="ConntrackVerdict.Full"/>: the stage drops the packet
/// (conntrack-full), because an untracked flow's replies would be refused under default-deny anyway. Established flows
/// are therefore never pushed out by a flood of new ones.
/// </para>
/// </summary>
public sealed class ConntrackTable
{
    internal const int GroupSize = 16;
    private const TcpHeader.Flag TcpEstablishedMask = TcpHeader.Flag.Syn | TcpHeader.Flag.Fin | TcpHeader.Flag.Rst | TcpHeader.Flag.Ack;

    private readonly FlowSlot[] _slots;
    private readonly byte[] _tags;
    private readonly long[] _timeouts;
    private readonly uint _groupMask;
    private readonly ulong _seed0, _seed1, _seed2, _seed3, _seed4;
    private int _sweepCursor;

    public ConntrackTable(ConntrackSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = settings.Validate();
        if (problems.Count > 0) throw new ArgumentException($"conntrack {problems[0].Setting}: {problems[0].Problem}", nameof(settings));
        Settings = settings;
        _slots = new FlowSlot[settings.Capacity];
        _tags = new byte[settings.Capacity];
        _timeouts = settings.TimeoutsByState();
        _groupMask = (uint)(settings.Capacity / GroupSize) - 1;
        Span<ulong> seeds = stackalloc ulong[5];
        RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(seeds));
        // Odd multipliers keep every input bit alive through the multiplication.
        (_seed0, _seed1, _seed2, _seed3, _seed4) = (seeds[0] | 1, seeds[1] | 1, seeds[2] | 1, seeds[3] | 1, seeds[4] | 1);
    }

    public ConntrackSettings Settings { get; }

    public ConntrackCounters Counters { get; } = new();

    public int Capacity => _slots.Length;

    /// <summary>Flows in the table, expired ones not yet reclaimed included.</summary>
    public long Count => Counters.Entries;

    /// <summary>
    /// Finds the flow of <paramref name="packet"/> and, when found, advances its state, timeout and counters.
    /// <see cref="ConntrackVerdict.Established"/> and <see cref="ConntrackVerdict.Related"/>: pass without policy;
    /// <see cref="ConntrackVerdict.New"/>: ask policy, then <see cref="Create"/>; <see cref="ConntrackVerdict.Invalid"/>:
    /// drop; <see cref="ConntrackVerdict.Untracked"/>: policy decides this packet. Allocation-free.
    /// </summary>
    /// <param name="direction">For Established: which way the packet goes; for Related: which way the error goes
    /// (against the quoted packet).</param>
    public ConntrackVerdict Track(in ConntrackPacket packet, long now, out FlowDirection direction)
    {
        direction = FlowDirection.Original;
        var kind = packet.Kind;
        switch (kind)
        {
            case ConntrackPacketKind.Other:
                return ConntrackVerdict.Untracked;
            case ConntrackPacketKind.IcmpErrorUnreadableQuote:
                Counters.Invalid++;
                return ConntrackVerdict.Invalid;
            case ConntrackPacketKind.IcmpError:
                return TrackRelated(packet.Quoted, now, out direction);
        }

        var swapped = MakeKey(packet.Tuple, out var key);
        var hash = Hash(key);
        var slot = FindLive(key, hash, now);
        if (slot < 0) return FirstPacket(packet);

        ref var flow = ref _slots[slot];
        direction = swapped == ((flow.Flags & FlowSlot.OriginalSwapped) != 0) ? FlowDirection.Original : FlowDirection.Reply;
        var state = flow.State;
        var next = state;
        switch (kind)
        {
            case ConntrackPacketKind.Tcp:
                // The common case, a segment of an established connection, without the state machine's call.
                if (state == FlowState.Established && (packet.TcpFlags & TcpEstablishedMask) == TcpHeader.Flag.Ack) break;
                var finBits = flow.FinBits;
                var outcome = TcpTracker.Next(state, packet.TcpFlags, direction, ref finBits, out next);
                if (outcome == TcpTracker.Outcome.Invalid) return CountInvalid();
                if (outcome == TcpTracker.Outcome.Reopen) return ConntrackVerdict.New;
                flow.FinBits = finBits;
                if (next == FlowState.Established) flow.Flags |= FlowSlot.Assured;
                break;
            case ConntrackPacketKind.Udp:
                if (direction == FlowDirection.Reply)
                {
                    next = FlowState.UdpReplied;
                    flow.Flags |= FlowSlot.Assured;
                }
                break;
            case ConntrackPacketKind.EchoRequest:
                // A request from the responder with the same identifier is not part of this exchange.
                if (direction == FlowDirection.Reply) return CountInvalid();
                break;
            case ConntrackPacketKind.EchoReply:
                if (direction == FlowDirection.Original) return CountInvalid();
                next = FlowState.IcmpReplied;
                flow.Flags |= FlowSlot.Assured;
                break;
        }
        flow.State = next;
        flow.Expires = now + _timeouts[(int)next];
        if (direction == FlowDirection.Original)
        {
            flow.PacketsOriginal++;
            flow.BytesOriginal += (ulong)packet.Length;
        }
        else
        {
            flow.PacketsReply++;
            flow.BytesReply += (ulong)packet.Length;
        }
        Counters.Hits++;
        return ConntrackVerdict.Established;
    }

    /// <summary>
    /// Creates the flow <paramref name="packet"/> starts (after <see cref="Track"/> answered New and policy allowed
    /// it), counting the packet in the original direction. A flow already there under the same tuple (a reopened TCP
    /// connection) is reset. <see cref="ConntrackVerdict.New"/> when created, <see cref="ConntrackVerdict.Full"/>
    /// when the eviction rule found no slot, <see cref="ConntrackVerdict.Invalid"/> when the packet cannot start a flow.
    /// Allocation-free.
    /// </summary>
    public ConntrackVerdict Create(in ConntrackPacket packet, long now) => Create(in packet, now, pickup: false);

    /// <summary>
    /// Picks up a TCP connection met in the middle (a segment with ACK and without SYN or RST, of a flow the table
    /// does not know: the data plane restarted, or tracking was just turned on), as Linux's conntrack does with
    /// <c>nf_conntrack_tcp_loose</c>: the flow is created ESTABLISHED and assured, the packet's sender taken as the
    /// originator. The caller decides first whether policy allows the packet as it would a new flow.
    /// <see cref="ConntrackVerdict.Invalid"/> for any other packet or a flow already known.
    /// </summary>
    public ConntrackVerdict Pickup(in ConntrackPacket packet, long now)
    {
        const TcpHeader.Flag forbidden = TcpHeader.Flag.Syn | TcpHeader.Flag.Rst | TcpHeader.Flag.Fin;
        if (packet.Kind != ConntrackPacketKind.Tcp || (packet.TcpFlags & TcpHeader.Flag.Ack) == 0 || (packet.TcpFlags & forbidden) != 0) return CountInvalid();
        if (Find(packet.Tuple, now) is not null) return CountInvalid();
        return Create(in packet, now, pickup: true);
    }

    private ConntrackVerdict Create(in ConntrackPacket packet, long now, bool pickup)
    {
        FlowState state;
        switch (packet.Kind)
        {
            case ConntrackPacketKind.Tcp when pickup:
                state = FlowState.Established;
                break;
            case ConntrackPacketKind.Tcp when TcpTracker.CanOpen(packet.TcpFlags):
                state = FlowState.SynSent;
                break;
            case ConntrackPacketKind.Udp:
                state = FlowState.UdpUnreplied;
                break;
            case ConntrackPacketKind.EchoRequest:
                state = FlowState.IcmpUnreplied;
                break;
            default:
                return CountInvalid();
        }
        var swapped = MakeKey(packet.Tuple, out var key);
        var hash = Hash(key);
        var slot = Find(key, hash);
        if (slot < 0)
        {
            slot = ClaimSlot(hash, now);
            if (slot < 0)
            {
                Counters.Full++;
                return ConntrackVerdict.Full;
            }
            Counters.Entries++;
        }
        ref var flow = ref _slots[slot];
        flow = default;
        flow.A0 = key.A0;
        flow.A1 = key.A1;
        flow.B0 = key.B0;
        flow.B1 = key.B1;
        flow.Rest = key.Rest;
        flow.Created = now;
        flow.Expires = now + _timeouts[(int)state];
        flow.State = state;
        flow.Flags = (byte)((swapped ? FlowSlot.OriginalSwapped : 0) | (pickup ? FlowSlot.Assured : 0));
        flow.PacketsOriginal = 1;
        flow.BytesOriginal = (ulong)packet.Length;
        // Published after the entry is written, for Snapshot on another thread.
        Volatile.Write(ref _tags[slot], Tag(hash));
        Counters.Created++;
        return ConntrackVerdict.New;
    }

    /// <summary>
    /// Removes expired flows among the next <paramref name="slots"/> slots (round robin), so the table and its count
    /// do not keep flows nobody looks up. Call from the worker between batches. Returns the flows removed.
    /// </summary>
    public int Sweep(long now, int slots)
    {
        var removed = 0;
        var cursor = _sweepCursor;
        var mask = _slots.Length - 1;
        for (var n = Math.Min(slots, _slots.Length); n > 0; n--)
        {
            if (_tags[cursor] != 0 && now >= _slots[cursor].Expires)
            {
                RemoveSlot(cursor);
                Counters.Expired++;
                removed++;
            }
            cursor = (cursor + 1) & mask;
        }
        _sweepCursor = cursor;
        return removed;
    }

    /// <summary>Live flows (not expired at <paramref name="now"/>), for listing; any thread; allocates.</summary>
    public IReadOnlyList<ConntrackEntry> Snapshot(long now, int max = int.MaxValue)
    {
        var entries = new List<ConntrackEntry>();
        for (var i = 0; i < _slots.Length && entries.Count < max; i++)
        {
            if (Volatile.Read(ref _tags[i]) == 0) continue;
            var flow = _slots[i];
            if (now >= flow.Expires || flow.State == FlowState.None) continue;
            entries.Add(ConntrackEntry.From(flow, now));
        }
        return entries;
    }

    /// <summary>The live flow of <paramref name="tuple"/> (either direction), for tests and tools; allocates.</summary>
    public ConntrackEntry? Find(in FlowTuple tuple, long now)
    {
        MakeKey(tuple, out var key);
        var slot = Find(key, Hash(key));
        if (slot < 0 || now >= _slots[slot].Expires) return null;
        return ConntrackEntry.From(_slots[slot], now);
    }

    /// <summary>Removes the flow of <paramref name="tuple"/> (either direction); false when there is none. Worker thread only.</summary>
    public bool Remove(in FlowTuple tuple)
    {
        MakeKey(tuple, out var key);
        var slot = Find(key, Hash(key));
        if (slot < 0) return false;
        RemoveSlot(slot);
        return true;
    }

    /// <summary>The two groups a tuple's flow may live in (tests of the eviction rule).</summary>
    internal (uint First, uint Second) CandidateGroups(in FlowTuple tuple)
    {
        MakeKey(tuple, out var key);
        var hash = Hash(key);
        return (FirstGroup(hash), SecondGroup(hash));
    }

    private ConntrackVerdict TrackRelated(in FlowTuple quoted, long now, out FlowDirection direction)
    {
        direction = FlowDirection.Original;
        var swapped = MakeKey(quoted, out var key);
        var slot = FindLive(key, Hash(key), now);
        if (slot < 0) return CountInvalid();
        // The error travels back towards the quoted packet's source.
        var quotedOriginal = swapped == ((_slots[slot].Flags & FlowSlot.OriginalSwapped) != 0);
        direction = quotedOriginal ? FlowDirection.Reply : FlowDirection.Original;
        Counters.Related++;
        return ConntrackVerdict.Related;
    }

    private ConntrackVerdict FirstPacket(in ConntrackPacket packet)
    {
        var opens = packet.Kind switch
        {
            ConntrackPacketKind.Tcp => TcpTracker.CanOpen(packet.TcpFlags),
            ConntrackPacketKind.Udp or ConntrackPacketKind.EchoRequest => true,
            _ => false, // an echo reply nobody asked for
        };
        return opens ? ConntrackVerdict.New : CountInvalid();
    }

    private ConntrackVerdict CountInvalid()
    {
        Counters.Invalid++;
        return ConntrackVerdict.Invalid;
    }

    /// <summary>The canonical key; true when the tuple's source is endpoint B (the key is the tuple reversed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool MakeKey(in FlowTuple tuple, out FlowKey key)
    {
        var source = tuple.Source;
        var destination = tuple.Destination;
        var sourcePort = tuple.SourcePort;
        var destinationPort = tuple.DestinationPort;
        var swapped = source > destination || (source == destination && sourcePort > destinationPort);
        var a = swapped ? destination : source;
        var b = swapped ? source : destination;
        var portA = swapped ? destinationPort : sourcePort;
        var portB = swapped ? sourcePort : destinationPort;
        key = new FlowKey(
            (ulong)a, (ulong)(a >> 64), (ulong)b, (ulong)(b >> 64),
            portA | ((ulong)portB << 16) | ((ulong)tuple.Protocol << 32) | ((tuple.IsIpv6 ? 1UL : 0UL) << 40));
        return swapped;
    }

    /// <summary>Keyed multiply-fold hash (wyhash's mixing step): two 128-bit products over the addresses, one over the rest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Hash(in FlowKey key)
    {
        var h = Fold(key.A0 ^ _seed0, key.A1 ^ _seed1) ^ Fold(key.B0 ^ _seed2, key.B1 ^ _seed3);
        return Fold(h ^ key.Rest, _seed4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Fold(ulong a, ulong b)
    {
        var high = Math.BigMul(a, b, out var low);
        return high ^ low;
    }

    /// <summary>Group indices take hash bits 0..21 and 32..53 (at most 2^22 groups), the tag bits 24..31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Tag(ulong hash)
    {
        var tag = (byte)(hash >> 24);
        return tag == 0 ? (byte)1 : tag;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint FirstGroup(ulong hash) => (uint)hash & _groupMask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint SecondGroup(ulong hash) => (uint)(hash >> 32) & _groupMask;

    /// <summary>A live flow's slot; a flow found expired is removed (counted) and -1 returned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FindLive(in FlowKey key, ulong hash, long now)
    {
        var slot = Find(key, hash);
        if (slot >= 0 && now >= _slots[slot].Expires)
        {
            RemoveSlot(slot);
            Counters.Expired++;
            return -1;
        }
        return slot;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int Find(in FlowKey key, ulong hash)
    {
        var tag = Vector128.Create(Tag(hash));
        var first = FirstGroup(hash);
        var slot = FindInGroup(key, first, tag);
        if (slot >= 0) return slot;
        var second = SecondGroup(hash);
        return second == first ? -1 : FindInGroup(key, second, tag);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FindInGroup(in FlowKey key, uint group, Vector128<byte> tag)
    {
        var start = (int)(group * GroupSize);
        var tags = Vector128.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_tags), (nuint)start);
        var matches = Vector128.Equals(tags, tag).ExtractMostSignificantBits();
        ref var slots = ref MemoryMarshal.GetArrayDataReference(_slots);
        while (matches != 0)
        {
            var slot = start + BitOperations.TrailingZeroCount(matches);
            ref var flow = ref Unsafe.Add(ref slots, slot);
            if (((flow.A0 ^ key.A0) | (flow.A1 ^ key.A1) | (flow.B0 ^ key.B0) | (flow.B1 ^ key.B1) | (flow.Rest ^ key.Rest)) == 0) return slot;
            matches &= matches - 1;
        }
        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint EmptyMask(uint group) =>
        Vector128.Equals(Vector128.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_tags), (nuint)(group * GroupSize)), Vector128<byte>.Zero)
            .ExtractMostSignificantBits();

    /// <summary>A free slot in the emptier candidate group, or one the eviction rule frees; -1 when none.</summary>
    private int ClaimSlot(ulong hash, long now)
    {
        var first = FirstGroup(hash);
        var second = SecondGroup(hash);
        var firstEmpty = EmptyMask(first);
        var secondEmpty = second == first ? 0 : EmptyMask(second);
        if ((firstEmpty | secondEmpty) != 0)
        {
            return BitOperations.PopCount(firstEmpty) >= BitOperations.PopCount(secondEmpty)
                ? (int)(first * GroupSize) + BitOperations.TrailingZeroCount(firstEmpty)
                : (int)(second * GroupSize) + BitOperations.TrailingZeroCount(secondEmpty);
        }
        return Evict(first, second, now);
    }

    /// <summary>The eviction rule (see the class comment): the first-expired expired flow, else the unassured flow closest to expiry.</summary>
    private int Evict(uint first, uint second, long now)
    {
        int expired = -1, unassured = -1;
        var expiredAt = long.MaxValue;
        var unassuredAt = long.MaxValue;
        for (var g = 0; g < 2; g++)
        {
            var group = g == 0 ? first : second;
            if (g == 1 && second == first) break;
            var start = (int)(group * GroupSize);
            for (var slot = start; slot < start + GroupSize; slot++)
            {
                ref var flow = ref _slots[slot];
                if (now >= flow.Expires)
                {
                    if (flow.Expires < expiredAt) (expired, expiredAt) = (slot, flow.Expires);
                }
                else if ((flow.Flags & FlowSlot.Assured) == 0 && flow.Expires < unassuredAt)
                {
                    (unassured, unassuredAt) = (slot, flow.Expires);
                }
            }
        }
        if (expired >= 0)
        {
            RemoveSlot(expired);
            Counters.Expired++;
            return expired;
        }
        if (unassured >= 0)
        {
            RemoveSlot(unassured);
            Counters.Evicted++;
            return unassured;
        }
        return -1;
    }

    private void RemoveSlot(int slot)
    {
        Volatile.Write(ref _tags[slot], 0);
        _slots[slot].State = FlowState.None;
        Counters.Entries--;
    }
}
