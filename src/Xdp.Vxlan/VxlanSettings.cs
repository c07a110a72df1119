namespace Xdp.Vxlan;

/// <summary>This host's tunnel endpoint: what every encapsulated frame carries and what decapsulation accepts.</summary>
/// <param name="Vtep">Our VTEP address (outer source; decapsulation accepts only packets to it).</param>
/// <param name="Port">UDP destination port (IANA 4789).</param>
/// <param name="SourcePortMin">Lowest outer UDP source port (the inner flow's hash picks one in the range).</param>
/// <param name="SourcePortMax">Highest outer UDP source port.</param>
/// <param name="Ipv4UdpChecksum">Compute the outer UDP checksum over IPv4 (RFC 7348 section 5 allows zero); IPv6 always computes it.</param>
/// <param name="Ttl">Outer TTL / hop limit.</param>
/// <param name="AgeingMilliseconds">Learned FDB entries not refreshed for this long are gone.</param>
/// <param name="Gbp">Carry the source's Group Policy ID (VXLAN-GBP) and read it on receipt.</param>
/// <param name="UplinkInterface">Interface index remote VTEPs are on-link on when no route covers them (-1: routes only).</param>
public sealed record VxlanSettings(
    VtepAddress Vtep,
    ushort Port = VxlanHeader.DefaultPort,
    ushort SourcePortMin = 32768,
    ushort SourcePortMax = 60999,
    bool Ipv4UdpChecksum = false,
    byte Ttl = 64,
    long AgeingMilliseconds = 300_000,
    bool Gbp = false,
    int UplinkInterface = -1);
