using System.Buffers.Binary;
using System.Net;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Wire;
using Xdp.Vxlan;

namespace XdpNet.Benchmarks;

/// <summary>The underlay a VXLAN benchmark runs over.</summary>
public enum VxlanUnderlay
{
    /// <summary>IPv4, outer UDP checksum zero (RFC 7348 section 5 default; nothing to compute or verify).</summary>
    Ipv4,
    /// <summary>IPv4 with the outer UDP checksum computed on encapsulation and verified on decapsulation.</summary>
    Ipv4UdpChecksum,
    /// <summary>IPv6: the outer UDP checksum is mandatory (RFC 8200 section 8.1), computed and verified.</summary>
    Ipv6,
}

/// <summary>
/// Two VTEPs of one segment (VNI 42) as the benchmarks see them: host A (198.18.0.1 / 2001:db8::1) and host B
/// (198.18.0.2 / 2001:db8::2). Interface 0 is the segment member (container veth), interface 1 the uplink; the remote
/// VTEP is reached by a static route with a fixed next-hop MAC, so no kernel neighbour table is involved.
/// <code>
/// c1 (MacC1) -- [A: member 0 | uplink 1] ==underlay== [B: uplink 1 | member 0] -- c2 (MacC2)
/// </code>
/// </summary>
internal static class VxlanHosts
{
    public const uint Vni = 42;
    public static readonly MacAddress MacC1 = MacAddress.Parse("02:00:00:00:0c:01");
    public static readonly MacAddress MacC2 = MacAddress.Parse("02:00:00:00:0c:02");
    private static readonly MacAddress MacUplinkA = MacAddress.Parse("02:00:00:00:0a:01");
    private static readonly MacAddress MacUplinkB = MacAddress.Parse("02:00:00:00:0b:01");
    private static readonly MacAddress MacMember = MacAddress.Parse("02:00:00:00:0a:02");
    /// <summary>Learned entries outlive any benchmark run.</summary>
    private const long AgeingMilliseconds = 24 * 3600 * 1000L;

    public static VtepAddress VtepA(VxlanUnderlay underlay) =>
        VtepAddress.Parse(underlay == VxlanUnderlay.Ipv6 ? "2001:db8::1" : "198.18.0.1");

    public static VtepAddress VtepB(VxlanUnderlay underlay) =>
        VtepAddress.Parse(underlay == VxlanUnderlay.Ipv6 ? "2001:db8::2" : "198.18.0.2");

    /// <summary>
    /// A host's forwarding tables: the underlay prefixes routed out of the uplink to the peer's MAC. The uplink's MTU
    /// is 9000 (a jumbo underlay), so 1500-byte inner frames fit after encapsulation.
    /// </summary>
    public static ForwardingTables Forwarding(bool hostA)
    {
        var builder = new RouteTableBuilder();
        builder.Add(IPNetwork.Parse("198.18.0.0/24"), 0);
        builder.Add(IPNetwork.Parse("2001:db8::/64"), 0);
        RouteTarget[] targets = [RouteTarget.Static(1, hostA ? MacUplinkB : MacUplinkA)];
        ForwardingInterface[] interfaces =
        [
            new("c-host", 10, MacMember, 1500),
            new("uplink", 11, hostA ? MacUplinkA : MacUplinkB, 9000),
        ];
        return new ForwardingTables(builder.Build(), targets, interfaces);
    }

    /// <summary>
    /// A host's VXLAN stage: one segment with member 0, learning on. Host A knows MacC2 behind host B through a static
    /// FDB entry when <paramref name="staticPeer"/>, else through a learned one.
    /// </summary>
    public static VxlanStage Stage(VxlanUnderlay underlay, bool hostA, bool staticPeer)
    {
        var self = hostA ? VtepA(underlay) : VtepB(underlay);
        var peer = hostA ? VtepB(underlay) : VtepA(underlay);
        var settings = new VxlanSettings(self, Ipv4UdpChecksum: underlay == VxlanUnderlay.Ipv4UdpChecksum,
            AgeingMilliseconds: AgeingMilliseconds, UplinkInterface: 1);
        StaticFdbEntry[] fdb = hostA && staticPeer ? [new StaticFdbEntry(MacC2, peer)] : [];
        var tables = new VxlanTables(settings, [new VxlanSegment(Vni, [0], [], Learning: true, fdb)], interfaceCount: 2);
        var learned = new LearnedFdb(1024, AgeingMilliseconds);
        var now = Environment.TickCount64;
        if (hostA && !staticPeer) learned.Learn(Vni, MacC2.Value, -1, peer, now);
        // Host B has seen c2 on its member, so decapsulated frames to c2 are unicast to it, not flooded.
        if (!hostA) learned.Learn(Vni, MacC2.Value, 0, default, now);
        return new VxlanStage(tables, learned, new VxlanCounters());
    }

    /// <summary>
    /// | eth MacC1 -> MacC2 | IPv4 198.18.10.1 -> 198.18.10.{flow+2} | UDP (1024+flow) -> 9 | padded to
    /// <paramref name="frameLength"/>, complete UDP checksum (so nothing is left to finish as offload).
    /// </summary>
    public static byte[] InnerFrame(int frameLength, int flow)
    {
        var f = new byte[frameLength];
        MacC2.WriteTo(f);
        MacC1.WriteTo(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), EtherType.Ipv4);
        var ip = f.AsSpan(14, 20);
        var total = (ushort)(frameLength - 14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], total);
        ip[8] = 64;
        ip[9] = IpProtocol.Udp;
        var source = BinaryPrimitives.ReverseEndianness(0xC612_0A01u); // 198.18.10.1
        var destination = BinaryPrimitives.ReverseEndianness(0xC612_0A00u + (uint)(flow % 250) + 2);
        BinaryPrimitives.WriteUInt32LittleEndian(ip[12..], source);
        BinaryPrimitives.WriteUInt32LittleEndian(ip[16..], destination);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));
        var udp = f.AsSpan(34);
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)(1024 + flow));
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 9);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(total - 20));
        for (var i = 8; i < udp.Length; i++) udp[i] = (byte)i;
        var pseudo = Checksum.PseudoHeaderV4(source, destination, IpProtocol.Udp, (ushort)(total - 20));
        var sum = Checksum.Finish(Checksum.Sum(udp, pseudo));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], sum == 0 ? (ushort)0xFFFF : sum);
        return f;
    }
}
