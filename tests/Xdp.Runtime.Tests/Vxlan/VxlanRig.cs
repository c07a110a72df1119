using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xdp.Runtime.Offload;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;
using Xdp.Vxlan;

namespace Xdp.Runtime.Tests.Vxlan;

/// <summary>
/// One VTEP host, built from the real tables (no mocks) and run over frames laid out like UMEM frames:
/// <code>
///   0 up (uplink, VTEP 198.18.0.1 / 2001:db8::1)   routes: remote VTEPs .2 -> B's MAC, .3 -> C's MAC (static)
///   1 c1 ─┐ VNI 42 (flood .2 .3, static FDB R1 -> .2)
///   2 c2 ─┘
///   3 c3 ── VNI 43 (flood .2; always learning: the learning option applies to VNI 42)
/// </code>
/// </summary>
internal sealed unsafe class VxlanRig
{
    public const int Up = 0, C1 = 1, C2 = 2, C3 = 3;
    public const uint Vni = 42, OtherVni = 43;
    public const int FrameSize = 4096, Headroom = 256;

    public const string UpMac = "02:00:00:00:0a:01", BMac = "02:00:00:00:0b:01", CMac = "02:00:00:00:0c:01";
    public const string C1Mac = "02:00:00:00:c1:01", C2Mac = "02:00:00:00:c2:01", C3Mac = "02:00:00:00:c3:01";
    /// <summary>R1: behind VTEP B by static FDB entry; R2: a remote MAC nobody configured.</summary>
    public const string R1Mac = "02:00:00:00:d1:01", R2Mac = "02:00:00:00:d2:01";
    public const string C1Ip = "198.19.42.1", C2Ip = "198.19.42.2", R1Ip = "198.19.42.9", R2Ip = "198.19.42.10";
    public const string C1Ip6 = "2001:db8:42::1", R1Ip6 = "2001:db8:42::9";

    public readonly bool Ipv6;
    public readonly string Vtep, VtepB, VtepC;
    public readonly VxlanTables Tables;
    public readonly ForwardingTables Forwarding;
    public readonly LearnedFdb Learned;
    public readonly VxlanCounters Counters = new();
    public VxlanStage Stage;
    public PartialChecksumStage Checksums;

    /// <summary>The frame the last packet ran in (pinned: its address is stable, so tests can check in-place work).</summary>
    public readonly byte[] Frame = GC.AllocateArray<byte>(FrameSize, pinned: true);

    public VxlanRig(bool ipv6 = false, ushort port = VxlanHeader.DefaultPort, bool ipv4UdpChecksum = false, bool gbp = false,
        int uplinkMtu = 1500, bool learning = true, ushort sourcePortMin = 32768, ushort sourcePortMax = 60999, byte ttl = 64,
        LearnedFdb? learned = null, bool c3FloodsToB = true, bool c2InOtherVni = false)
    {
        Ipv6 = ipv6;
        Vtep = ipv6 ? "2001:db8::1" : "198.18.0.1";
        VtepB = ipv6 ? "2001:db8::2" : "198.18.0.2";
        VtepC = ipv6 ? "2001:db8::3" : "198.18.0.3";
        var routes = new RouteTableBuilder()
            .Add(IPNetwork.Parse(VtepB + (ipv6 ? "/128" : "/32")), 0)
            .Add(IPNetwork.Parse(VtepC + (ipv6 ? "/128" : "/32")), 1)
            .Build();
        RouteTarget[] targets = [RouteTarget.Static(Up, MacAddress.Parse(BMac)), RouteTarget.Static(Up, MacAddress.Parse(CMac))];
        ForwardingInterface[] interfaces =
        [
            new("up", 10, MacAddress.Parse(UpMac), uplinkMtu),
            new("c1", 11, MacAddress.Parse("02:00:00:00:0a:c1"), 1500),
            new("c2", 12, MacAddress.Parse("02:00:00:00:0a:c2"), 1500),
            new("c3", 13, MacAddress.Parse("02:00:00:00:0a:c3"), 1500),
        ];
        Forwarding = new ForwardingTables(routes, targets, interfaces);
        var settings = new VxlanSettings(VtepAddress.Parse(Vtep), port, sourcePortMin, sourcePortMax, ipv4UdpChecksum, ttl,
            AgeingMilliseconds: 300_000, Gbp: gbp, UplinkInterface: Up);
        VxlanSegment[] segments =
        [
            new(Vni, c2InOtherVni ? [C1] : [C1, C2], [VtepAddress.Parse(VtepB), VtepAddress.Parse(VtepC)], learning,
                [new StaticFdbEntry(MacAddress.Parse(R1Mac), VtepAddress.Parse(VtepB))]),
            new(OtherVni, c2InOtherVni ? [C3, C2] : [C3], c3FloodsToB ? [VtepAddress.Parse(VtepB)] : [], Learning: true, []),
        ];
        Tables = new VxlanTables(settings, segments, interfaces.Length, new Dictionary<int, ushort> { [C1] = 100 });
        Learned = learned ?? new LearnedFdb(1024, settings.AgeingMilliseconds);
        Stage = new VxlanStage(Tables, Learned, Counters);
    }

    public byte* FrameStart => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Frame));

    /// <summary>Outcome of one packet: verdict, where the packet window ended up, and its bytes.</summary>
    public sealed record Result(Verdict Verdict, DropReason Reason, int Egress, int Offset, byte[] Bytes, uint SourceIdentity)
    {
        public override string ToString() => $"{Verdict} {Reason} egress {Egress} offset {Offset} length {Bytes.Length}";
    }

    /// <summary>Runs <paramref name="frame"/> as received on <paramref name="ingress"/>, placed at <see cref="Headroom"/>.</summary>
    public Result Run(byte[] frame, int ingress, PacketEmitter? emitter = null, int headroom = Headroom)
    {
        Array.Clear(Frame);
        frame.CopyTo(Frame, headroom);
        var start = FrameStart;
        var packet = new PacketContext(start + headroom, frame.Length, headroom, FrameSize - headroom - frame.Length, ingress) { Emitter = emitter };
        var verdict = Stage.Process(ref packet, Forwarding, ref Checksums);
        return new Result(verdict, packet.Reason, packet.EgressInterface, (int)(packet.Data - start),
            new ReadOnlySpan<byte>(packet.Data, packet.Length).ToArray(), packet.SourceIdentity);
    }

    /// <summary>The allocation-free form of <see cref="Run"/> (for the allocation gate): verdict only.</summary>
    public Verdict RunQuiet(byte[] frame, int ingress)
    {
        frame.CopyTo(Frame, Headroom);
        var packet = new PacketContext(FrameStart + Headroom, frame.Length, Headroom, FrameSize - Headroom - frame.Length, ingress);
        return Stage.Process(ref packet, Forwarding, ref Checksums);
    }

    // ---- frames ----

    /// <summary>| eth c1 -> dst | IPv4 C1 -> ip | UDP sport -> 7000 | payload |, the inner frame of most tests.</summary>
    public static byte[] Inner(string dstMac, string srcMac = C1Mac, ushort sourcePort = 5000, string dstIp = R1Ip, string srcIp = C1Ip, int payload = 18) =>
        PacketBuilder.Ethernet(dstMac, srcMac).Ipv4(srcIp, dstIp).Udp(sourcePort, 7000, Payload(payload)).Build();

    /// <summary>An ARP request (RFC 826) broadcast by <paramref name="srcMac"/>.</summary>
    public static byte[] ArpRequest(string srcMac = C1Mac, string srcIp = C1Ip, string targetIp = R1Ip) =>
        PacketBuilder.Ethernet("ff:ff:ff:ff:ff:ff", srcMac).Arp(ArpPacket.OperationRequest, srcMac, srcIp, "00:00:00:00:00:00", targetIp).PadTo(60).Build();

    public static byte[] Payload(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++) bytes[i] = (byte)(0x40 + (i % 64));
        return bytes;
    }

    /// <summary>The 8-byte VXLAN header, written independently of <see cref="VxlanHeader"/> (RFC 7348 section 5).</summary>
    public static byte[] VxlanBytes(uint vni, byte flags = 0x08, ushort groupPolicy = 0)
    {
        var header = new byte[8];
        header[0] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), groupPolicy);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), vni << 8);
        return header;
    }

    /// <summary>
    /// | eth B -> up | IP from -> to | UDP sport -> port | VXLAN vni | inner |, as a remote VTEP sends it, with a full UDP
    /// checksum (the builder's); <paramref name="zeroChecksum"/> clears it.
    /// </summary>
    public byte[] Outer(byte[] vxlanAndInner, string? from = null, string? to = null, ushort port = VxlanHeader.DefaultPort,
        bool zeroChecksum = false, ushort sourcePort = 49152)
    {
        var eth = PacketBuilder.Ethernet(UpMac, BMac);
        var ip = Ipv6 ? eth.Ipv6(from ?? VtepB, to ?? Vtep) : eth.Ipv4(from ?? VtepB, to ?? Vtep);
        var frame = ip.Udp(sourcePort, port, vxlanAndInner).Build();
        if (zeroChecksum) BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(UdpChecksumOffset), 0);
        return frame;
    }

    public byte[] Outer(uint vni, byte[] inner, string? from = null, bool zeroChecksum = false, byte flags = 0x08, ushort groupPolicy = 0) =>
        Outer([.. VxlanBytes(vni, flags, groupPolicy), .. inner], from, zeroChecksum: zeroChecksum);

    public int IpLength => Ipv6 ? 40 : 20;
    public int Overhead => Ipv6 ? 70 : 50;
    public int UdpOffset => 14 + IpLength;
    public int UdpChecksumOffset => UdpOffset + 6;

    /// <summary>The outer UDP pseudo-header sum of a frame built by <see cref="Outer(byte[], string?, string?, ushort, bool, ushort)"/> or by encapsulation.</summary>
    public uint PseudoHeader(byte[] frame)
    {
        var udpLength = frame.Length - UdpOffset;
        return Ipv6
            ? Checksum.PseudoHeaderV6(frame.AsSpan(14 + 8, 16), frame.AsSpan(14 + 24, 16), IpProtocol.Udp, (uint)udpLength)
            : Checksum.PseudoHeaderV4(BitConverter.ToUInt32(frame, 14 + 12), BitConverter.ToUInt32(frame, 14 + 16), IpProtocol.Udp, (ushort)udpLength);
    }

    /// <summary>True when the outer UDP checksum verifies (the sum over pseudo-header and datagram folds to all ones).</summary>
    public bool UdpChecksumValid(byte[] frame) => Checksum.Fold(Checksum.Sum(frame.AsSpan(UdpOffset), PseudoHeader(frame))) == 0xFFFF;

    /// <summary>
    /// What encapsulation of <paramref name="inner"/> towards <paramref name="remote"/> must produce, built layer by layer
    /// with the packet builder (IPv4: ID 0, DF, TTL 64; UDP checksum computed, or zero over IPv4 unless asked).
    /// The source port and (IPv6) flow label come from the frame under test; the tests check them separately.
    /// </summary>
    public byte[] ExpectedEncapsulation(byte[] inner, string remote, string nextHopMac, ushort sourcePort, uint flowLabel = 0,
        uint vni = Vni, ushort port = VxlanHeader.DefaultPort, bool udpChecksum = false, byte flags = 0x08, ushort groupPolicy = 0, byte ttl = 64)
    {
        var eth = PacketBuilder.Ethernet(nextHopMac, UpMac);
        var ip = Ipv6 ? eth.Ipv6(Vtep, remote, ttl) : eth.Ipv4(Vtep, remote, ttl);
        var frame = ip.Udp(sourcePort, port, [.. VxlanBytes(vni, flags, groupPolicy), .. inner]).Build();
        if (Ipv6) BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(14), 0x6000_0000 | flowLabel);
        else if (!udpChecksum) BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(UdpChecksumOffset), 0);
        return frame;
    }

    public ushort SourcePortOf(byte[] outer) => BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(UdpOffset));

    public string OuterDestination(byte[] outer) =>
        new IPAddress(Ipv6 ? outer.AsSpan(14 + 24, 16) : outer.AsSpan(14 + 16, 4)).ToString();
}

/// <summary>
/// A real <see cref="PacketEmitter"/> for tests: copies into pinned frames laid out like the source's (same headroom),
/// and records every completed copy in order.
/// </summary>
internal sealed unsafe class RecordingEmitter : PacketEmitter
{
    private readonly List<byte[]> _frames = [];
    public int FreeFrames { get; set; } = int.MaxValue;

    public List<(Verdict Verdict, int Egress, DropReason Reason, byte[] Bytes)> Copies { get; } = [];

    public override bool TryClone(in PacketContext source, out PacketContext copy)
    {
        if (FreeFrames-- <= 0)
        {
            copy = default;
            return false;
        }
        var frame = GC.AllocateArray<byte>(VxlanRig.FrameSize, pinned: true);
        _frames.Add(frame);
        var data = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(frame)) + source.Headroom;
        Buffer.MemoryCopy(source.Data, data, source.Length + source.Tailroom, source.Length);
        copy = new PacketContext(data, source.Length, source.Headroom, source.Tailroom, source.IngressInterface)
        {
            SourceIdentity = source.SourceIdentity,
            Emitter = this,
        };
        return true;
    }

    public override void Complete(ref PacketContext copy, Verdict verdict) =>
        Copies.Add((verdict, copy.EgressInterface, copy.Reason, new ReadOnlySpan<byte>(copy.Data, copy.Length).ToArray()));
}
