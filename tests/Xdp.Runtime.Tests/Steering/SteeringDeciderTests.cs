using Xdp.Runtime.Bpf;

namespace Xdp.Runtime.Tests.Steering;

/// <summary>The C# mirror of bpf/xdp-redirect.bpf.c: order UDP port, longest prefix, ethertype; parsing limits.</summary>
public sealed class SteeringDeciderTests
{
    private const ushort Vxlan = 4789;
    private const string HostV4 = "198.18.0.1";
    private const string HostV6 = "2001:db8::1";

    private static readonly SteeringDecider Rules = new SteeringRules
    {
        EtherTypes = [0x0806],
        Prefixes =
        [
            SteeringPrefix.Own("198.18.0.0/15"),
            SteeringPrefix.Pass(HostV4 + "/32"),
            SteeringPrefix.Own("2001:db8::/32"),
            SteeringPrefix.Pass(HostV6 + "/128"),
        ],
        UdpPorts = [Vxlan],
    }.Compile();

    // | eth | 198.18.0.1 (host, pass /32) | UDP -> 4789 |: the port wins over the host's pass entry.
    [Fact]
    public void Owned_udp_port_beats_pass_prefix()
    {
        Assert.True(Rules.Owns(Frame.Ipv4(HostV4, udpPort: Vxlan)));
        Assert.True(Rules.Owns(Frame.Ipv6(HostV6, udpPort: Vxlan)));
    }

    // | eth | 198.18.0.1 | UDP -> 4790 |: other ports to the host stay the kernel's.
    [Fact]
    public void Other_udp_port_to_host_address_is_passed()
    {
        Assert.Equal(SteeringVerdict.NotOwned, Rules.Decide(Frame.Ipv4(HostV4, udpPort: 4790)));
        Assert.Equal(SteeringVerdict.NotOwned, Rules.Decide(Frame.Ipv6(HostV6, udpPort: 4790)));
    }

    // | eth | 198.18.0.5 | ICMP |: inside the owned /15, outside the /32 pass.
    [Fact]
    public void Owned_prefix_owns_other_destinations()
    {
        Assert.True(Rules.Owns(Frame.Ipv4("198.18.0.5")));
        Assert.True(Rules.Owns(Frame.Ipv4("198.19.255.255")));
        Assert.True(Rules.Owns(Frame.Ipv6("2001:db8:1::5")));
        Assert.False(Rules.Owns(Frame.Ipv4(HostV4)));
        Assert.False(Rules.Owns(Frame.Ipv6(HostV6)));
    }

    [Fact]
    public void Outside_every_prefix_is_not_owned()
    {
        Assert.Equal(SteeringVerdict.NotOwned, Rules.Decide(Frame.Ipv4("198.20.0.1")));
        Assert.Equal(SteeringVerdict.NotOwned, Rules.Decide(Frame.Ipv6("2001:db9::1")));
    }

    [Fact]
    public void Longest_prefix_wins_at_every_nesting_level()
    {
        var decider = new SteeringRules
        {
            Prefixes =
            [
                SteeringPrefix.Pass("0.0.0.0/0"),
                SteeringPrefix.Own("198.18.0.0/16"),
                SteeringPrefix.Pass("198.18.7.0/24"),
                SteeringPrefix.Own("198.18.7.16/28"),
                SteeringPrefix.Own("2001:db8::/48"),
                SteeringPrefix.Pass("2001:db8:0:7::/64"),
                SteeringPrefix.Own("2001:db8:0:7::10/124"),
            ],
        }.Compile();

        Assert.True(decider.Owns(Frame.Ipv4("198.18.1.1")));
        Assert.False(decider.Owns(Frame.Ipv4("198.18.7.1")));
        Assert.True(decider.Owns(Frame.Ipv4("198.18.7.17")));
        Assert.True(decider.Owns(Frame.Ipv4("198.18.7.31")));
        Assert.False(decider.Owns(Frame.Ipv4("198.18.7.32")));
        Assert.False(decider.Owns(Frame.Ipv4("198.19.0.1")));
        Assert.True(decider.Owns(Frame.Ipv6("2001:db8:0:1::1")));
        Assert.False(decider.Owns(Frame.Ipv6("2001:db8:0:7::1")));
        Assert.True(decider.Owns(Frame.Ipv6("2001:db8:0:7::1f")));
        Assert.False(decider.Owns(Frame.Ipv6("2001:db8:0:7::20")));
    }

    // | eth | 802.1Q | 802.1ad | IPv4 ... |: up to two tags are skipped.
    [Fact]
    public void Vlan_tagged_frames_are_decided_on_the_inner_header()
    {
        Assert.True(Rules.Owns(Frame.Ipv4(HostV4, udpPort: Vxlan, vlanTags: [0x8100])));
        Assert.True(Rules.Owns(Frame.Ipv4("198.18.0.5", vlanTags: [0x88A8, 0x8100])));
        Assert.False(Rules.Owns(Frame.Ipv4(HostV4, vlanTags: [0x8100])));
        Assert.True(Rules.Owns(Frame.Ipv6(HostV6, udpPort: Vxlan, vlanTags: [0x88A8, 0x8100])));
        Assert.True(Rules.Owns(Frame.Arp(vlanTags: [0x8100])));
    }

    // A third tag is beyond the program's constant bound: the ethertype stays 0x8100.
    [Fact]
    public void Third_vlan_tag_is_decided_by_the_tag_ethertype()
    {
        var frame = Frame.Ipv4("198.18.0.5", vlanTags: [0x8100, 0x8100, 0x8100]);
        Assert.False(Rules.Owns(frame));
        var vlanOwned = new SteeringRules { EtherTypes = [0x8100] }.Compile();
        Assert.True(vlanOwned.Owns(frame));
    }

    [Fact]
    public void Non_ip_frames_follow_the_ethertype_list()
    {
        Assert.True(Rules.Owns(Frame.Arp()));
        Assert.False(new SteeringRules { UdpPorts = [Vxlan] }.Compile().Owns(Frame.Arp()));
        Assert.False(Rules.Owns(Frame.Raw(0x88CC))); // LLDP
    }

    // Listing an IP ethertype owns every packet of that family no prefix passes explicitly.
    [Fact]
    public void Ip_ethertype_rule_applies_after_the_prefixes()
    {
        var decider = new SteeringRules { EtherTypes = [0x0800], Prefixes = [SteeringPrefix.Pass(HostV4 + "/32")] }.Compile();
        Assert.True(decider.Owns(Frame.Ipv4("198.18.0.9")));
        Assert.False(decider.Owns(Frame.Ipv4(HostV4)));
    }

    [Fact]
    public void Ipv4_options_are_skipped_to_find_the_udp_port()
    {
        Assert.True(Rules.Owns(Frame.Ipv4(HostV4, udpPort: Vxlan, ihl: 6)));
        Assert.True(Rules.Owns(Frame.Ipv4(HostV4, udpPort: Vxlan, ihl: 15)));
    }

    // RFC 791: only the first fragment carries the UDP header; later ones go by destination.
    [Fact]
    public void Non_first_ipv4_fragment_is_decided_by_prefix_not_port()
    {
        Assert.False(Rules.Owns(Frame.Ipv4(HostV4, udpPort: Vxlan, fragmentOffset: 185)));
        Assert.True(Rules.Owns(Frame.Ipv4("198.18.0.5", udpPort: 9, fragmentOffset: 185)));
        Assert.True(Rules.Owns(Frame.Ipv4(HostV4, udpPort: Vxlan, moreFragments: true)));
    }

    // | eth | IPv6 | hop-by-hop | UDP -> 4789 |: extension headers are not walked.
    [Fact]
    public void Ipv6_extension_header_hides_the_udp_port()
    {
        var frame = Frame.Ipv6(HostV6, udpPort: Vxlan);
        frame[14 + 6] = 0; // Next Header: hop-by-hop options
        Assert.False(Rules.Owns(frame));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(13)]
    public void Frame_shorter_than_ethernet_is_malformed(int length)
        => Assert.Equal(SteeringVerdict.Malformed, Rules.Decide(Frame.Ipv4("198.18.0.5").AsSpan(0, length)));

    [Fact]
    public void Truncated_headers_are_malformed_and_not_owned()
    {
        byte[] v4 = Frame.Ipv4("198.18.0.5", udpPort: Vxlan);
        byte[] v6 = Frame.Ipv6("2001:db8::5", udpPort: Vxlan);
        byte[] tagged = Frame.Ipv4("198.18.0.5", vlanTags: [0x8100]);
        Assert.Equal(SteeringVerdict.Malformed, Rules.Decide(tagged.AsSpan(0, 16)));       // half a VLAN tag
        Assert.Equal(SteeringVerdict.Malformed, Rules.Decide(v4.AsSpan(0, 14 + 19)));      // IPv4 header
        Assert.Equal(SteeringVerdict.Malformed, Rules.Decide(v4.AsSpan(0, 14 + 20 + 7)));  // UDP header
        Assert.Equal(SteeringVerdict.Malformed, Rules.Decide(v6.AsSpan(0, 14 + 39)));      // IPv6 header
        Assert.Equal(SteeringVerdict.Malformed, Rules.Decide(v6.AsSpan(0, 14 + 40 + 7)));  // UDP header
        Assert.False(Rules.Owns(v4.AsSpan(0, 14 + 19)));
    }

    [Fact]
    public void Ipv4_options_beyond_the_frame_are_malformed()
    {
        byte[] frame = Frame.Ipv4("198.18.0.5", ihl: 15);
        Assert.Equal(SteeringVerdict.Malformed, Rules.Decide(frame.AsSpan(0, 14 + 59)));
    }

    [Fact]
    public void Wrong_ip_version_or_short_ihl_is_malformed()
    {
        byte[] v4 = Frame.Ipv4("198.18.0.5");
        v4[14] = 0x65;
        Assert.Equal(SteeringVerdict.Malformed, Rules.Decide(v4));
        v4[14] = 0x44;
        Assert.Equal(SteeringVerdict.Malformed, Rules.Decide(v4));
        byte[] v6 = Frame.Ipv6("2001:db8::5");
        v6[14] = 0x40;
        Assert.Equal(SteeringVerdict.Malformed, Rules.Decide(v6));
    }

    [Fact]
    public void Own_all_and_pass_all_ignore_the_contents()
    {
        var ownAll = new SteeringRules { OwnAll = true }.Compile();
        var passAll = new SteeringRules { PassAll = true, UdpPorts = [Vxlan] }.Compile();
        Assert.True(ownAll.Owns([1, 2, 3]));
        Assert.True(ownAll.Owns(Frame.Arp()));
        Assert.Equal(SteeringVerdict.NotOwned, passAll.Decide([1, 2, 3]));
        Assert.False(passAll.Owns(Frame.Ipv4(HostV4, udpPort: Vxlan)));
    }

    [Fact]
    public void Contradicting_rules_are_refused_naming_the_key()
    {
        var both = Assert.Throws<ArgumentException>(() => new SteeringRules { OwnAll = true, PassAll = true }.Compile());
        Assert.Contains("OwnAll", both.Message, StringComparison.Ordinal);
        var conflict = Assert.Throws<ArgumentException>(() => new SteeringRules
        {
            Prefixes = [SteeringPrefix.Own("198.18.0.0/24"), SteeringPrefix.Pass("198.18.0.0/24")],
        }.Compile());
        Assert.Contains("Prefixes", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("198.18.0.0/24", conflict.Message, StringComparison.Ordinal);
        var tooMany = Assert.Throws<ArgumentException>(() => new SteeringRules
        {
            UdpPorts = [.. Enumerable.Range(1, 257).Select(p => (ushort)p)],
        }.Compile());
        Assert.Contains("UdpPorts", tooMany.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_allocates_nothing()
    {
        byte[][] frames =
        [
            Frame.Ipv4(HostV4, udpPort: Vxlan),
            Frame.Ipv6("2001:db8:1::5"),
            Frame.Ipv4("198.18.0.5", vlanTags: [0x8100, 0x88A8]),
            Frame.Arp(),
        ];
        int owned = 0;
        foreach (var frame in frames)
        {
            owned += Rules.Owns(frame) ? 1 : 0; // warm up
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            foreach (var frame in frames)
            {
                owned += Rules.Owns(frame) ? 1 : 0;
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(4 * 1001, owned);
    }
}
