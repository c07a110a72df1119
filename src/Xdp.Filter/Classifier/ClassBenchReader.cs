using System.Globalization;

namespace Xdp.Filter.Classifier;

/// <summary>
/// Reads ClassBench filter sets (Taylor, Turner: "ClassBench: A Packet Classification Benchmark", INFOCOM 2005):
/// one rule a line, tab-separated, first line highest priority:
/// <c>@SRC/LEN  DST/LEN  SPORT_LO : SPORT_HI  DPORT_LO : DPORT_HI  PROTO/MASK  FLAGS/MASK</c>.
/// A protocol mask of 0x00 is any protocol, 0xFF an exact protocol; TCP flags are ignored. Every rule gets
/// <see cref="RuleAction.Allow"/> and its line index as id. The addresses are synthetic rule data for in-memory
/// benchmarks, never traffic.
/// </summary>
public static class ClassBenchReader
{
    public static List<FiveTupleRule> ReadFile(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    /// <param name="source">Named in error messages.</param>
    public static List<FiveTupleRule> Read(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rules = new List<FiveTupleRule>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            try
            {
                rules.Add(Parse(line, rules.Count));
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new FormatException($"{source}:{lineNumber}: {e.Message}", e);
            }
        }
        return rules;
    }

    private static FiveTupleRule Parse(string line, int id)
    {
        var fields = line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length < 5) throw new FormatException($"expected at least 5 tab-separated fields, got {fields.Length}");
        if (!fields[0].StartsWith('@')) throw new FormatException($"a rule starts with '@', got '{fields[0]}'");
        var source = AddressPrefix.Parse(fields[0][1..]);
        var destination = AddressPrefix.Parse(fields[1]);
        var sourcePorts = ParsePorts(fields[2]);
        var destinationPorts = ParsePorts(fields[3]);
        var slash = fields[4].IndexOf('/', StringComparison.Ordinal);
        if (slash < 0) throw new FormatException($"protocol '{fields[4]}' is not VALUE/MASK");
        var protocol = ParseHexByte(fields[4][..slash]);
        var mask = ParseHexByte(fields[4][(slash + 1)..]);
        byte? exact = mask switch
        {
            0x00 => null,
            0xFF => protocol,
            _ => throw new FormatException($"protocol mask 0x{mask:X2} is neither 0x00 (any) nor 0xFF (exact)"),
        };
        return new FiveTupleRule(id, source, destination, sourcePorts, destinationPorts, exact, RuleAction.Allow);
    }

    private static PortRange ParsePorts(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) throw new FormatException($"port range '{text}' is not LOW : HIGH");
        if (!ushort.TryParse(text.AsSpan(0, colon).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var low)
            || !ushort.TryParse(text.AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var high))
        {
            throw new FormatException($"port range '{text}' is not two ports 0..65535");
        }
        return new PortRange(low, high);
    }

    private static byte ParseHexByte(string text)
    {
        var digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text.AsSpan(2) : text.AsSpan();
        if (!byte.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            throw new FormatException($"'{text}' is not a hexadecimal byte");
        return value;
    }
}
