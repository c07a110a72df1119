using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Xdp.Runtime.Offload;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Wire;

namespace Xdp.Vxlan;

/// <summary>
/// The VXLAN tunnel endpoint (RFC 7348): tenant L2 segments switched locally, encapsulated towards remote VTEPs and
/// decapsulated from them, in place in the frame (the outer headers go into the headroom).
/// <list type="bullet">
/// <item>From a segment member: the source MAC is learned on that member; the destination is looked up in the static
/// FDB, then the learned one: a local member gets the frame as it is, a remote VTEP gets it encapsulated; broadcast,
/// multicast and unknown unicast are replicated head-end to every other member and every VTEP of the flood list.</item>
/// <item>From elsewhere (the uplink): UDP to our VTEP address and port is decapsulated; the inner source is learned
/// behind the outer source VTEP; the inner frame goes to the member that has its destination, or to every member when
/// unknown. A frame is never sent back into the overlay (split horizon).</item>
/// </list>
/// Anything else continues to the next stage. Remote VTEPs are reached through the forwarding tables (route, then
/// neighbour), passed in per call so neighbour refreshes reach this stage with the forwarding stage's swap.
/// </summary>
public unsafe struct VxlanStage
{
    public VxlanTables Tables;
    public LearnedFdb Learned;
    public VxlanCounters Counters;

    public VxlanStage(VxlanTables tables, LearnedFdb learned, VxlanCounters counters)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(learned);
        ArgumentNullException.ThrowIfNull(counters);
        Tables = tables;
        Learned = learned;
        Counters = counters;
    }

    /// <summary>
    /// Handles the packet if it is VXLAN's (from a segment member, or to our VTEP); <see cref="Verdict.Continue"/>
    /// otherwise. <paramref name="checksums"/> finishes checksums a local sender left to offload, on the inner frame,
    /// before it leaves for a peer that will verify them.
    /// </summary>
    public Verdict Process(ref PacketContext packet, ForwardingTables forwarding, ref PartialChecksumStage checksums)
    {
        var tables = Tables;
        var segment = tables.SegmentOf(packet.IngressInterface);
        return segment >= 0
            ? FromMember(ref packet, tables, segment, forwarding, ref checksums)
            : TryDecapsulate(ref packet, tables, forwarding, ref checksums);
    }

    private Verdict FromMember(ref PacketContext packet, VxlanTables tables, int segmentIndex, ForwardingTables forwarding, ref PartialChecksumStage checksums)
    {
        if (packet.Length < EthernetFrame.HeaderLength) return packet.Drop(DropReason.Malformed);
        checksums.Process(ref packet);
        var segment = tables.SegmentArray[segmentIndex];
        var vni = segment.Vni;
        var now = Environment.TickCount64;
        var destination = MacAddress.Read(new ReadOnlySpan<byte>(packet.Data, 6));
        var source = MacAddress.Read(new ReadOnlySpan<byte>(packet.Data + 6, 6));
        if (!source.IsMulticast && !source.IsZero) Count(Learned.Learn(vni, source.Value, packet.IngressInterface, default, now));

        if (destination.IsMulticast) return Flood(ref packet, tables, segment, toRemotes: true, forwarding);
        if (tables.TryGetStatic(vni, destination, out var vtep)) return Encapsulate(ref packet, tables, segment, vtep, forwarding);
        // A local entry counts only while its interface is still a member of this segment (a reload may have moved it).
        if (Learned.TryLookup(vni, destination.Value, now, out var local, out var remote) && (local < 0 || tables.SegmentOf(local) == segmentIndex))
        {
            if (local < 0) return Encapsulate(ref packet, tables, segment, remote, forwarding);
            // A bridge never sends a frame back out of the port it came in on.
            if (local == packet.IngressInterface) return packet.Drop(DropReason.Hairpin);
            Counters.LocalSwitched++;
            return packet.Transmit(local);
        }
        return Flood(ref packet, tables, segment, toRemotes: true, forwarding);
    }

    private void Count(LearnResult result)
    {
        if (result == LearnResult.Learned) Counters.Learned++;
        else if (result == LearnResult.Full) Counters.FdbFull++;
    }

    /// <summary>
    /// Head-end replication: a copy per target but the last, which gets the original frame (so a frame with one target
    /// is never copied). Copies are made from the inner frame before the original is touched.
    /// </summary>
    private Verdict Flood(ref PacketContext packet, VxlanTables tables, VxlanSegment segment, bool toRemotes, ForwardingTables forwarding)
    {
        var members = segment.Members;
        var remotes = toRemotes ? segment.Flood : [];
        var ingress = packet.IngressInterface;
        var targets = remotes.Length;
        foreach (var m in members)
        {
            if (m != ingress) targets++;
        }
        if (targets == 0) return packet.Drop(DropReason.NoFloodTarget);
        Counters.Flooded++;
        var emitter = packet.Emitter;
        var remaining = targets;
        foreach (var m in members)
        {
            if (m == ingress) continue;
            if (--remaining == 0) return packet.Transmit(m);
            if (!TryCopy(emitter, in packet, out var copy)) continue;
            emitter!.Complete(ref copy, copy.Transmit(m));
        }
        foreach (var vtep in remotes)
        {
            if (--remaining == 0) return Encapsulate(ref packet, tables, segment, vtep, forwarding);
            if (!TryCopy(emitter, in packet, out var copy)) continue;
            var verdict = Encapsulate(ref copy, tables, segment, vtep, forwarding, replyTooBig: false);
            emitter!.Complete(ref copy, verdict);
        }
        return packet.Drop(DropReason.NoFloodTarget); // not reached: the last target returns above
    }

    private bool TryCopy(PacketEmitter? emitter, in PacketContext packet, out PacketContext copy)
    {
        if (emitter is not null && emitter.TryClone(in packet, out copy))
        {
            Counters.FloodCopies++;
            return true;
        }
        Counters.FloodCopyFailures++;
        copy = default;
        return false;
    }

    /// <summary>Prepends outer Ethernet, IP, UDP and VXLAN headers and sends the frame towards <paramref name="vtep"/>.</summary>
    /// <param name="replyTooBig">Answer a frame too big for the underlay with ICMP (false for flood copies: the sender
    /// gets one error per frame, from the original, not one per VTEP).</param>
    private Verdict Encapsulate(ref PacketContext packet, VxlanTables tables, VxlanSegment segment, VtepAddress vtep, ForwardingTables forwarding, bool replyTooBig = true)
    {
        var settings = tables.Settings;
        var reason = forwarding.ResolveNextHop(vtep.Value, vtep.IsIpv6, settings.UplinkInterface, out var egress, out var nextHop);
        if (reason != DropReason.None) return packet.Drop(reason);
        var egressInterface = forwarding.Interfaces[egress];
        var overhead = vtep.IsIpv6 ? VxlanHeader.OverheadV6 : VxlanHeader.OverheadV4;
        // The outer IP packet is the inner frame plus everything but the outer Ethernet header.
        if (packet.Length + overhead - EthernetFrame.HeaderLength > egressInterface.Mtu)
        {
            return TooBig(ref packet, egressInterface.Mtu - overhead, replyTooBig);
        }

        var hash = FlowHash(new ReadOnlySpan<byte>(packet.Data, packet.Length));
        var range = (uint)(settings.SourcePortMax - settings.SourcePortMin + 1);
        var sourcePort = (ushort)(settings.SourcePortMin + (uint)(((ulong)hash * range) >> 32));
        ushort? groupPolicy = null;
        if (settings.Gbp)
        {
            var id = packet.SourceIdentity != 0 ? (int)packet.SourceIdentity : tables.GroupPolicyOf(packet.IngressInterface);
            if (id >= 0)
            {
                groupPolicy = (ushort)id;
                Counters.GbpSent++;
            }
        }

        var innerLength = packet.Length;
        if (!packet.Push(overhead)) return packet.Drop(DropReason.TooBig);
        var frame = new Span<byte>(packet.Data, packet.Length);
        nextHop.WriteTo(frame);
        egressInterface.Mac.WriteTo(frame.Slice(6));
        int udpOffset;
        var udpLength = (ushort)(UdpHeader.HeaderLength + VxlanHeader.Length + innerLength);
        if (vtep.IsIpv6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(12), EtherType.Ipv6);
            var ip = frame.Slice(EthernetFrame.HeaderLength, 40);
            // RFC 6438: the flow label carries the inner flow's hash, for ECMP that looks at it.
            BinaryPrimitives.WriteUInt32BigEndian(ip, 0x6000_0000 | (hash & 0x000F_FFFF));
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), udpLength);
            ip[6] = IpProtocol.Udp;
            ip[7] = settings.Ttl;
            Unsafe.WriteUnaligned(ref ip[8], settings.Vtep.Value);
            Unsafe.WriteUnaligned(ref ip[24], vtep.Value);
            udpOffset = EthernetFrame.HeaderLength + 40;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(12), EtherType.Ipv4);
            var ip = frame.Slice(EthernetFrame.HeaderLength, Ipv4Header.MinHeaderLength);
            ip[0] = 0x45;
            ip[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)(Ipv4Header.MinHeaderLength + udpLength));
            // ID 0 with DF: a VTEP must not fragment (RFC 7348 section 4.3) and nothing on the path should (RFC 6864).
            BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(4), 0x0000_4000);
            ip[8] = settings.Ttl;
            ip[9] = IpProtocol.Udp;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10), 0);
            Unsafe.WriteUnaligned(ref ip[12], (uint)settings.Vtep.Value);
            Unsafe.WriteUnaligned(ref ip[16], (uint)vtep.Value);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10), Checksum.Compute(ip));
            udpOffset = EthernetFrame.HeaderLength + Ipv4Header.MinHeaderLength;
        }
        var udp = frame.Slice(udpOffset, udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(2), settings.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(4), udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(6), 0);
        VxlanHeader.Write(udp.Slice(UdpHeader.HeaderLength), segment.Vni, groupPolicy);
        if (vtep.IsIpv6 || settings.Ipv4UdpChecksum)
        {
            // RFC 8200 section 8.1: mandatory over IPv6 (the kernel's VXLAN refuses zero unless told otherwise).
            var pseudo = vtep.IsIpv6
                ? Checksum.PseudoHeaderV6(frame.Slice(EthernetFrame.HeaderLength + 8, 16), frame.Slice(EthernetFrame.HeaderLength + 24, 16), IpProtocol.Udp, udpLength)
                : Checksum.PseudoHeaderV4((uint)settings.Vtep.Value, (uint)vtep.Value, IpProtocol.Udp, udpLength);
            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(6), Checksum.ComputeTransport(udp, UdpHeader.ChecksumOffset, pseudo, isUdp: true));
        }
        Counters.Encapsulated++;
        return packet.Transmit(egress);
    }

    /// <summary>
    /// The frame would not fit the underlay once encapsulated: it is not sent broken. The sender learns the MTU it can
    /// use through ICMP (so TCP lowers its segment size); when no error may be sent, the frame is just dropped.
    /// </summary>
    private Verdict TooBig(ref PacketContext packet, int usableMtu, bool reply)
    {
        Counters.TooBig++;
        if (!reply || !PacketTooBig.TryBuild(ref packet, usableMtu)) return packet.Drop(DropReason.TooBig);
        Counters.IcmpTooBigSent++;
        return Verdict.Tx;
    }

    /// <summary>
    /// A hash of the inner flow for the outer UDP source port (RFC 7348 section 5: "a hash of fields from the inner
    /// packet"): the Ethernet addresses and type, plus the IP addresses, protocol and ports when present, so one flow
    /// keeps one port and different flows spread over the underlay's ECMP paths.
    /// </summary>
    internal static uint FlowHash(ReadOnlySpan<byte> frame)
    {
        ulong h = BinaryPrimitives.ReadUInt64LittleEndian(frame) ^ ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(frame.Slice(8)) << 16);
        h = Mix(h, BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(12)));
        var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12));
        var l3 = frame.Slice(EthernetFrame.HeaderLength);
        if (etherType == EtherType.Ipv4 && l3.Length >= Ipv4Header.MinHeaderLength)
        {
            h = Mix(h, BinaryPrimitives.ReadUInt64LittleEndian(l3.Slice(12)));
            var protocol = l3[9];
            h = Mix(h, protocol);
            var ihl = (l3[0] & 0x0F) * 4;
            var unfragmented = (BinaryPrimitives.ReadUInt16BigEndian(l3.Slice(6)) & 0x3FFF) == 0;
            if (unfragmented && protocol is IpProtocol.Tcp or IpProtocol.Udp && l3.Length >= ihl + 4)
                h = Mix(h, BinaryPrimitives.ReadUInt32LittleEndian(l3.Slice(ihl)));
        }
        else if (etherType == EtherType.Ipv6 && l3.Length >= 40)
        {
            h = Mix(h, BinaryPrimitives.ReadUInt64LittleEndian(l3.Slice(8)));
            h = Mix(h, BinaryPrimitives.ReadUInt64LittleEndian(l3.Slice(16)));
            h = Mix(h, BinaryPrimitives.ReadUInt64LittleEndian(l3.Slice(24)));
            h = Mix(h, BinaryPrimitives.ReadUInt64LittleEndian(l3.Slice(32)));
            var next = l3[6];
            h = Mix(h, next);
            if (next is IpProtocol.Tcp or IpProtocol.Udp && l3.Length >= 44) h = Mix(h, BinaryPrimitives.ReadUInt32LittleEndian(l3.Slice(40)));
        }
        return (uint)(h ^ (h >> 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong h, ulong value)
    {
        h = (h ^ value) * 0x9E37_79B9_7F4A_7C15UL;
        return h ^ (h >> 29);
    }

    private Verdict TryDecapsulate(ref PacketContext packet, VxlanTables tables, ForwardingTables forwarding, ref PartialChecksumStage checksums)
    {
        var settings = tables.Settings;
        if (!EthernetFrame.TryCreate(packet.Bytes, out var outer)) return Verdict.Continue;
        Span<byte> udpBytes;
        VtepAddress remote;
        uint pseudo;
        if (outer.EtherType == EtherType.Ipv4 && !settings.Vtep.IsIpv6)
        {
            if (!Ipv4Header.TryCreate(outer.Payload, out var ip) || ip.Protocol != IpProtocol.Udp
                || ip.DestinationAddress != (uint)settings.Vtep.Value || !IsOurPort(ip.Payload, settings.Port)) return Verdict.Continue;
            if (!ip.IsChecksumValid) return packet.Drop(DropReason.BadIpv4Header);
            if (ip.MoreFragments || ip.FragmentOffset != 0) return packet.Drop(DropReason.VxlanFragment);
            udpBytes = ip.Payload;
            remote = VtepAddress.FromIpv4(ip.SourceAddress);
            pseudo = Checksum.PseudoHeaderV4(ip.SourceAddress, ip.DestinationAddress, IpProtocol.Udp, (ushort)udpBytes.Length);
        }
        else if (outer.EtherType == EtherType.Ipv6 && settings.Vtep.IsIpv6)
        {
            // Extension headers before UDP are not expected between VTEPs: only UDP right after the fixed header is ours.
            if (!Ipv6Header.TryCreate(outer.Payload, out var ip) || ip.NextHeader != IpProtocol.Udp
                || ip.DestinationAddress != settings.Vtep.Value || !IsOurPort(ip.Payload, settings.Port)) return Verdict.Continue;
            udpBytes = ip.Payload;
            remote = VtepAddress.FromIpv6(ip.SourceAddress);
            pseudo = Checksum.PseudoHeaderV6(ip.SourceBytes, ip.DestinationBytes, IpProtocol.Udp, (uint)udpBytes.Length);
        }
        else
        {
            return Verdict.Continue;
        }

        if (!UdpHeader.TryCreate(udpBytes, out var udp)) return packet.Drop(DropReason.VxlanTruncated);
        var field = udp.Checksum;
        // RFC 7348 section 5: zero is fine over IPv4; over IPv6 it is refused, as the kernel does by default (RFC 6935).
        if (field == 0 && remote.IsIpv6) return packet.Drop(DropReason.VxlanBadChecksum);

        var payload = udp.Payload;
        if (payload.Length < VxlanHeader.Length) return packet.Drop(DropReason.VxlanTruncated);
        var flags = payload[0];
        if ((flags & VxlanHeader.FlagI) == 0) return packet.Drop(DropReason.VxlanBadFlags);
        var vni = VxlanHeader.ReadVni(payload);
        var segmentIndex = tables.SegmentOfVni(vni);
        if (segmentIndex < 0) return packet.Drop(DropReason.VxlanUnknownVni);
        var innerLength = payload.Length - VxlanHeader.Length;
        if (innerLength < EthernetFrame.HeaderLength) return packet.Drop(DropReason.VxlanInnerTooShort);

        var innerOffset = (int)Unsafe.ByteOffset(ref packet.Bytes[0], ref payload[VxlanHeader.Length]);
        uint identity = settings.Gbp && (flags & VxlanHeader.FlagG) != 0 ? VxlanHeader.ReadGroupPolicyId(payload) : 0u;
        packet.Pull(innerOffset);
        packet.Tailroom += packet.Length - innerLength;
        packet.Length = innerLength;

        // The sending kernel may have left the inner transport checksum to offload (veth): finish it first. Its outer
        // checksum was then computed as if the inner one were final (Linux's local checksum offload), so it can only be
        // verified now. The bytes are still where udp points: Pull moved the window, not the data.
        checksums.Process(ref packet);
        // A field holding just the pseudo-header sum is an outer checksum the kernel left to offload: the kernel
        // accepts that as CHECKSUM_PARTIAL, and so do we.
        if (field != 0 && field != Checksum.Fold(pseudo) && Checksum.Fold(Checksum.Sum(udp.Bytes, pseudo)) != 0xFFFF)
        {
            return packet.Drop(DropReason.VxlanBadChecksum);
        }
        if (identity != 0)
        {
            packet.SourceIdentity = identity;
            Counters.GbpReceived++;
        }
        Counters.Decapsulated++;

        var segment = tables.SegmentArray[segmentIndex];
        var now = Environment.TickCount64;
        var source = MacAddress.Read(new ReadOnlySpan<byte>(packet.Data + 6, 6));
        var destination = MacAddress.Read(new ReadOnlySpan<byte>(packet.Data, 6));
        if (segment.Learning && !source.IsMulticast && !source.IsZero && !tables.TryGetStatic(vni, source, out _))
        {
            Count(Learned.Learn(vni, source.Value, -1, remote, now));
        }

        if (destination.IsMulticast) return Flood(ref packet, tables, segment, toRemotes: false, forwarding);
        if (tables.TryGetStatic(vni, destination, out _)) return packet.Drop(DropReason.VxlanSplitHorizon);
        if (Learned.TryLookup(vni, destination.Value, now, out var local, out _) && (local < 0 || tables.SegmentOf(local) == segmentIndex))
        {
            return local >= 0 ? packet.Transmit(local) : packet.Drop(DropReason.VxlanSplitHorizon);
        }
        return Flood(ref packet, tables, segment, toRemotes: false, forwarding);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsOurPort(ReadOnlySpan<byte> udp, ushort port) =>
        udp.Length >= 4 && BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(2)) == port;
}
