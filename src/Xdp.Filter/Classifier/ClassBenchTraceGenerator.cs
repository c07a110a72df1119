namespace Xdp.Filter.Classifier;

/// <summary>
/// Packet headers for checking and measuring classifiers, in the spirit of ClassBench's trace generator: a header
/// drawn inside each rule (so every rule is exercised, not just the catch-all), then headers built from a random
/// rule field by field, each field inside the rule, on or just beyond one of its edges, or uniformly random.
/// Edges are where an off-by-one in a classifier shows. In memory only: these are never sent anywhere.
/// </summary>
internal static class ClassBenchTraceGenerator
{
    public static FiveTuple[] Generate(IReadOnlyList<FiveTupleRule> rules, int count, int seed)
    {
        var random = new Random(seed);
        var headers = new FiveTuple[count];
        if (rules.Count == 0)
        {
            for (var i = 0; i < count; i++) headers[i] = FiveTuple.IPv4((uint)random.NextInt64(), (uint)random.NextInt64(), (byte)random.Next(256), (ushort)random.Next(65536), (ushort)random.Next(65536));
            return headers;
        }
        for (var i = 0; i < count; i++)
        {
            var rule = rules[i < rules.Count ? i : random.Next(rules.Count)];
            var mode = i < rules.Count ? 0 : -1;
            var source = Pick(random, rule.Source.First, rule.Source.Last, rule.Source.AddressBits, mode);
            var destination = Pick(random, rule.Destination.First, rule.Destination.Last, rule.Destination.AddressBits, mode);
            var sourcePort = (ushort)Pick(random, rule.SourcePorts.Low, rule.SourcePorts.High, 16, mode);
            var destinationPort = (ushort)Pick(random, rule.DestinationPorts.Low, rule.DestinationPorts.High, 16, mode);
            var protocol = rule.Protocol is { } p ? (byte)Pick(random, p, p, 8, mode) : (byte)random.Next(256);
            headers[i] = rule.IsIPv6
                ? FiveTuple.IPv6(source, destination, protocol, sourcePort, destinationPort)
                : FiveTuple.IPv4((uint)source, (uint)destination, protocol, sourcePort, destinationPort);
        }
        return headers;
    }

    /// <param name="mode">0: inside the range; -1: a random choice of inside, edge, beyond an edge, or anywhere.</param>
    private static UInt128 Pick(Random random, UInt128 low, UInt128 high, int bits, int mode)
    {
        var max = bits == 128 ? UInt128.MaxValue : (UInt128.One << bits) - 1;
        var choice = mode == 0 ? 0 : random.Next(10);
        return choice switch
        {
            <= 3 => Inside(random, low, high),
            4 => low,
            5 => high,
            6 => low == 0 ? low : low - 1,
            7 => high == max ? high : high + 1,
            _ => Inside(random, 0, max),
        };
    }

    private static UInt128 Inside(Random random, UInt128 low, UInt128 high)
    {
        var span = high - low;
        if (span == 0) return low;
        var r = ((UInt128)(ulong)random.NextInt64() << 64 | (ulong)random.NextInt64()) ^ ((UInt128)(ulong)random.Next() << 127);
        return span == UInt128.MaxValue ? r : low + r % (span + 1);
    }
}
