using Xdp.Filter.Classifier;

namespace Xdp.Filter.Tests.Classifier;

/// <summary>
/// Hand-written cases where an off-by-one or a wrong order would show. Every case runs against the linear
/// scan and against the tree built with leaf size 1 (every decision made by splits) and with the default.
/// </summary>
public class ClassifierEdgeCaseTests
{
    private const byte Tcp = 6;
    private const byte Udp = 17;

    private static FiveTupleRule Rule(int id, string source, string destination, PortRange? sourcePorts = null, PortRange? destinationPorts = null, byte? protocol = null, RuleAction action = RuleAction.Allow) =>
        new(id, AddressPrefix.Parse(source), AddressPrefix.Parse(destination), sourcePorts ?? PortRange.Any, destinationPorts ?? PortRange.Any, protocol, action);

    private static FiveTuple V4(string source, string destination, byte protocol = Tcp, ushort sourcePort = 40000, ushort destinationPort = 80) =>
        FiveTuple.IPv4((uint)AddressPrefix.Parse(source).Address, (uint)AddressPrefix.Parse(destination).Address, protocol, sourcePort, destinationPort);

    private static FiveTuple V6(string source, string destination, byte protocol = Tcp, ushort sourcePort = 40000, ushort destinationPort = 80) =>
        FiveTuple.IPv6(AddressPrefix.Parse(source).Address, AddressPrefix.Parse(destination).Address, protocol, sourcePort, destinationPort);

    /// <summary>Asserts every classifier over <paramref name="rules"/> returns <paramref name="expected"/> for <paramref name="key"/>.</summary>
    private static void AssertAll(FiveTupleRule[] rules, FiveTuple key, int expected)
    {
        IFiveTupleClassifier[] classifiers =
        [
            new LinearClassifier(rules),
            HyperSplitClassifier.Build(rules, new HyperSplitOptions { LeafSize = 1 }),
            HyperSplitClassifier.Build(rules, new HyperSplitOptions { LeafSize = 1, Separation = HyperSplitSeparation.Never }),
            HyperSplitClassifier.Build(rules, new HyperSplitOptions { LeafSize = 1, Separation = HyperSplitSeparation.Always }),
            HyperSplitClassifier.Build(rules),
        ];
        foreach (var classifier in classifiers) Assert.Equal(expected, classifier.Classify(key));
        var byHand = Array.FindIndex(rules, r => r.Matches(key));
        Assert.Equal(expected, byHand);
    }

    [Theory]
    [InlineData(999, 1)]
    [InlineData(1000, 0)]
    [InlineData(1500, 0)]
    [InlineData(2000, 0)]
    [InlineData(2001, 1)]
    [InlineData(0, 2)]
    [InlineData(65535, 3)]
    public void Destination_port_range_is_inclusive_at_both_ends(int port, int expected)
    {
        FiveTupleRule[] rules =
        [
            Rule(0, "198.18.0.0/15", "198.18.0.0/15", destinationPorts: new PortRange(1000, 2000), action: RuleAction.Deny),
            Rule(1, "198.18.0.0/15", "198.18.0.0/15", destinationPorts: new PortRange(1, 65534)),
            Rule(2, "198.18.0.0/15", "198.18.0.0/15", destinationPorts: PortRange.Single(0)),
            Rule(3, "0.0.0.0/0", "0.0.0.0/0"),
        ];
        AssertAll(rules, V4("198.18.0.1", "198.19.0.1", destinationPort: (ushort)port), expected);
    }

    [Theory]
    [InlineData(1023, 1)]
    [InlineData(1024, 0)]
    [InlineData(65535, 0)]
    public void Source_port_range_reaches_65535(int port, int expected)
    {
        FiveTupleRule[] rules =
        [
            Rule(0, "0.0.0.0/0", "0.0.0.0/0", sourcePorts: new PortRange(1024, 65535)),
            Rule(1, "0.0.0.0/0", "0.0.0.0/0", action: RuleAction.Deny),
        ];
        AssertAll(rules, V4("198.18.0.1", "198.19.0.1", sourcePort: (ushort)port), expected);
    }

    [Theory]
    [InlineData("198.18.0.1", 0)]
    [InlineData("198.18.0.0", 2)]
    [InlineData("198.18.0.2", 2)]
    [InlineData("198.19.255.255", 2)]
    [InlineData("198.20.0.0", 3)]
    [InlineData("198.17.255.255", 3)]
    [InlineData("255.255.255.255", 1)]
    [InlineData("0.0.0.0", 3)]
    public void Host_prefixes_and_the_zero_prefix(string source, int expected)
    {
        FiveTupleRule[] rules =
        [
            Rule(0, "198.18.0.1/32", "0.0.0.0/0", action: RuleAction.Deny),
            Rule(1, "255.255.255.255/32", "0.0.0.0/0"),
            Rule(2, "198.18.0.0/15", "0.0.0.0/0"),
            Rule(3, "0.0.0.0/0", "0.0.0.0/0", action: RuleAction.Deny),
        ];
        AssertAll(rules, V4(source, "198.19.0.1"), expected);
    }

    [Theory]
    [InlineData("2001:db8:0:1::5", 0)]
    [InlineData("2001:db8:0:1::4", 1)]
    [InlineData("2001:db8:0:1:7fff:ffff:ffff:ffff", 1)]
    [InlineData("2001:db8:0:1:8000::", 2)]
    [InlineData("2001:db8:0:2::", 3)]
    [InlineData("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 3)]
    [InlineData("2001:db9::", 4)]
    [InlineData("::", 4)]
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 4)]
    public void IPv6_prefixes_across_the_64_bit_halves(string source, int expected)
    {
        FiveTupleRule[] rules =
        [
            Rule(0, "2001:db8:0:1::5/128", "::/0", action: RuleAction.Deny),
            Rule(1, "2001:db8:0:1::/65", "::/0"),
            Rule(2, "2001:db8:0:1::/64", "::/0", action: RuleAction.Deny),
            Rule(3, "2001:db8::/32", "::/0"),
            Rule(4, "::/0", "::/0", action: RuleAction.Deny),
        ];
        AssertAll(rules, V6(source, "2001:db8::1"), expected);
    }

    [Fact]
    public void Rules_match_only_their_own_address_family()
    {
        FiveTupleRule[] rules =
        [
            Rule(0, "0.0.0.0/0", "0.0.0.0/0", action: RuleAction.Deny),
            Rule(1, "::/0", "::/0"),
        ];
        AssertAll(rules, V4("198.18.0.1", "198.19.0.1"), 0);
        AssertAll(rules, V6("2001:db8::1", "2001:db8::2"), 1);
        AssertAll(rules[..1], V6("2001:db8::1", "2001:db8::2"), -1);
        AssertAll(rules[1..], V4("198.18.0.1", "198.19.0.1"), -1);
    }

    [Theory]
    [InlineData(Tcp, 0)]
    [InlineData(Udp, 1)]
    [InlineData(0, 1)]
    [InlineData(255, 1)]
    public void Any_protocol_and_exact_protocol(byte protocol, int expected)
    {
        FiveTupleRule[] rules =
        [
            Rule(0, "0.0.0.0/0", "198.18.0.0/15", destinationPorts: PortRange.Single(80), protocol: Tcp, action: RuleAction.Deny),
            Rule(1, "0.0.0.0/0", "198.18.0.0/15", destinationPorts: PortRange.Single(80)),
        ];
        AssertAll(rules, V4("198.19.0.1", "198.18.0.1", protocol), expected);
    }

    [Fact]
    public void Empty_rule_set_matches_nothing()
    {
        AssertAll([], V4("198.18.0.1", "198.19.0.1"), -1);
        AssertAll([], V6("2001:db8::1", "2001:db8::2"), -1);
    }

    [Fact]
    public void No_match_returns_minus_one()
    {
        FiveTupleRule[] rules = [Rule(0, "198.18.0.0/16", "198.19.0.0/16", protocol: Udp)];
        AssertAll(rules, V4("198.19.0.1", "198.18.0.1", Udp), -1);
        AssertAll(rules, V4("198.18.0.1", "198.19.0.1", Tcp), -1);
        AssertAll(rules, V4("198.18.0.1", "198.19.0.1", Udp), 0);
    }

    [Fact]
    public void First_match_wins_when_rules_overlap()
    {
        var narrow = Rule(0, "198.18.1.0/24", "0.0.0.0/0", destinationPorts: PortRange.Single(443), protocol: Tcp, action: RuleAction.Deny);
        var wide = Rule(1, "198.18.0.0/15", "0.0.0.0/0");
        var shadowed = Rule(2, "198.18.1.7/32", "0.0.0.0/0", protocol: Tcp, action: RuleAction.Deny);
        var inside = V4("198.18.1.7", "198.19.0.1", Tcp, destinationPort: 443);
        var beside = V4("198.18.1.7", "198.19.0.1", Tcp, destinationPort: 444);

        AssertAll([narrow, wide, shadowed], inside, 0);
        AssertAll([narrow, wide, shadowed], beside, 1); // the /32 behind the /15 never matches first
        AssertAll([wide, narrow, shadowed], inside, 0);
        AssertAll([shadowed, narrow, wide], inside, 0);
        AssertAll([shadowed, narrow, wide], V4("198.18.1.8", "198.19.0.1", Tcp, destinationPort: 443), 1);
        AssertAll([shadowed, narrow, wide], V4("198.18.1.8", "198.19.0.1", Tcp, destinationPort: 444), 2);
    }

    [Fact]
    public void Identical_rules_resolve_to_the_first()
    {
        var rule = Rule(0, "198.18.0.0/15", "198.18.0.0/15", new PortRange(10, 20), new PortRange(30, 40), Udp);
        AssertAll([rule, rule with { Id = 1, Action = RuleAction.Deny }], V4("198.18.0.1", "198.19.0.1", Udp, 15, 35), 0);
    }

    [Fact]
    public void Random_mixed_family_rules_agree_with_the_linear_scan()
    {
        // Overlapping random rules of both families, so the IPv6 tree is as deep as the IPv4 one.
        var random = new Random(11);
        var rules = new FiveTupleRule[1500];
        for (var i = 0; i < rules.Length; i++)
        {
            var v6 = random.Next(2) == 0;
            rules[i] = new FiveTupleRule(i, RandomPrefix(random, v6), RandomPrefix(random, v6), RandomPorts(random), RandomPorts(random),
                random.Next(3) == 0 ? null : (byte)(random.Next(2) == 0 ? Tcp : Udp), (RuleAction)random.Next(2));
        }
        var linear = new LinearClassifier(rules);
        IFiveTupleClassifier[] trees = [HyperSplitClassifier.Build(rules), HyperSplitClassifier.Build(rules, new HyperSplitOptions { LeafSize = 2 })];
        var headers = ClassBenchTraceGenerator.Generate(rules, 30_000, seed: 3);
        var hits = 0;
        foreach (var header in headers)
        {
            var expected = linear.Classify(header);
            if (expected >= 0) hits++;
            foreach (var tree in trees) Assert.True(expected == tree.Classify(header), $"{header}: linear {expected}, tree {tree.Classify(header)}");
        }
        Assert.True(hits > headers.Length / 2, $"only {hits} headers matched a rule");
    }

    private static AddressPrefix RandomPrefix(Random random, bool v6)
    {
        if (!v6)
        {
            var length = random.Next(0, 33);
            var address = (uint)random.NextInt64() & (length == 0 ? 0 : uint.MaxValue << (32 - length));
            // Few distinct top bytes so that prefixes overlap.
            address = (address & 0x00FFFFFF) | (length >= 8 ? (uint)(198 + random.Next(2)) << 24 : address & 0xFF000000);
            return AddressPrefix.IPv4(address & (length == 0 ? 0 : uint.MaxValue << (32 - length)), length);
        }
        var len = random.Next(0, 129);
        var value = ((UInt128)0x20010db8UL << 96) | ((UInt128)(ulong)random.NextInt64() << 32) | (uint)random.Next(4);
        var mask = len == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - len);
        return AddressPrefix.IPv6(value & mask, len);
    }

    private static PortRange RandomPorts(Random random) => random.Next(4) switch
    {
        0 => PortRange.Any,
        1 => PortRange.Single((ushort)random.Next(1, 100)),
        _ => new PortRange((ushort)random.Next(0, 50), (ushort)random.Next(50, 65536)),
    };

    [Fact]
    public void Invalid_rules_are_refused()
    {
        var mixed = new FiveTupleRule(7, AddressPrefix.Parse("198.18.0.0/15"), AddressPrefix.Parse("2001:db8::/32"), PortRange.Any, PortRange.Any, null, RuleAction.Allow);
        var error = Assert.Throws<ArgumentException>(() => HyperSplitClassifier.Build([mixed]));
        Assert.Contains("rule 0 (id 7)", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new LinearClassifier([mixed]));
        Assert.Throws<ArgumentException>(() => AddressPrefix.Parse("198.18.0.1/15"));
        Assert.Throws<ArgumentException>(() => AddressPrefix.Parse("2001:db8::1/64"));
        Assert.Throws<FormatException>(() => AddressPrefix.Parse("198.18.0.0/33"));
        Assert.Throws<ArgumentException>(() => new PortRange(2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => HyperSplitClassifier.Build([], new HyperSplitOptions { LeafSize = 0 }));
    }
}
