namespace Xdp.Runtime.Tests.Wire;

/// <summary>Frames produced by scapy 2.5.0 at development time (bytes pasted, scapy not needed to run the tests).</summary>
internal static class GoldenFrames
{
    /// <summary>| 02:..:01 -> 02:..:02 | 198.18.0.1 -> 198.19.1.2 ttl 64 DF | UDP 4000 -> 80 "hello" |</summary>
    public const string Ipv4Udp =
        "020000000002020000000001080045000021000040004011ada3c6120001c61301020fa00050000d1ee968656c6c6f";

    /// <summary>| 02:..:01 -> 02:..:02 | 2001:db8:a::1 -> 2001:db8:b::2 hlim 64 | UDP 4000 -> 80 "hello" |</summary>
    public const string Ipv6Udp =
        "02000000000202000000000186dd60000000000d114020010db8000a0000000000000000000120010db8000b000000000000000000020fa00050000d508868656c6c6f";

    /// <summary>| eth | 198.18.0.1 -> 198.19.1.2 | ICMP echo id 7 seq 1 "ping" |</summary>
    public const string Ipv4Icmp =
        "020000000002020000000001080045000020000040004001adb4c6120001c6130102080019270007000170696e67";

    /// <summary>| eth | 2001:db8:a::1 -> 2001:db8:b::2 | ICMPv6 echo id 7 seq 1 "ping" |</summary>
    public const string Ipv6Icmp =
        "02000000000202000000000186dd60000000000c3a4020010db8000a0000000000000000000120010db8000b00000000000000000002800045560007000170696e67";

    /// <summary>| eth, 802.1Q VLAN 100 | 198.18.0.1 -> 198.19.1.2 | UDP 4000 -> 80 "hello" |</summary>
    public const string Ipv4UdpVlan100 =
        "02000000000202000000000181000064080045000021000040004011ada3c6120001c61301020fa00050000d1ee968656c6c6f";
}
