using Xdp.Filter.Classifier;

namespace Xdp.Filter.Tests.Classifier;

public class ClassBenchReaderTests
{
    [Fact]
    public void Reads_fields_protocol_masks_and_order()
    {
        const string text = "@198.18.0.0/15\t198.19.1.0/24\t0 : 65535\t1521 : 1522\t0x06/0xFF\t0x0000/0x0200\t\n"
            + "@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\t\n";
        var rules = ClassBenchReader.Read(new StringReader(text), "inline");
        Assert.Equal(2, rules.Count);
        Assert.Equal(AddressPrefix.Parse("198.18.0.0/15"), rules[0].Source);
        Assert.Equal(AddressPrefix.Parse("198.19.1.0/24"), rules[0].Destination);
        Assert.Equal(PortRange.Any, rules[0].SourcePorts);
        Assert.Equal(new PortRange(1521, 1522), rules[0].DestinationPorts);
        Assert.Equal((byte)6, rules[0].Protocol);
        Assert.Null(rules[1].Protocol);
        Assert.Equal(0, rules[0].Id);
        Assert.Equal(1, rules[1].Id);
    }

    [Theory]
    [InlineData("@198.18.0.0/15\t198.19.1.0/24\t0 : 65535\t0 : 65535\t0x06/0x0F\t0x0000/0x0000", "protocol mask 0x0F")]
    [InlineData("198.18.0.0/15\t198.19.1.0/24\t0 : 65535\t0 : 65535\t0x06/0xFF\t0x0000/0x0000", "starts with '@'")]
    [InlineData("@198.18.0.0/15\t198.19.1.0/24\t0 : 70000\t0 : 65535\t0x06/0xFF\t0x0000/0x0000", "0 : 70000")]
    [InlineData("@198.18.0.0/15\t198.19.1.0/24\t9 : 8\t0 : 65535\t0x06/0xFF\t0x0000/0x0000", "9:8")]
    [InlineData("@198.18.0.1/15\t198.19.1.0/24\t0 : 65535\t0 : 65535\t0x06/0xFF\t0x0000/0x0000", "host bits")]
    public void Malformed_line_is_refused_with_source_and_line(string line, string problem)
    {
        var error = Assert.Throws<FormatException>(() => ClassBenchReader.Read(new StringReader("\n" + line + "\n"), "set.txt"));
        Assert.StartsWith("set.txt:2: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("acl1_1k")]
    [InlineData("fw1_10k")]
    public void Reads_every_line_of_a_seed_file(string file)
    {
        var path = ClassBenchData.File(file);
        var lines = File.ReadAllLines(path).Count(l => l.Length > 0);
        var rules = ClassBenchReader.ReadFile(path);
        Assert.Equal(lines, rules.Count);
        Assert.Equal(FiveTupleRuleCatchAll, rules[^1] with { Id = 0 });
    }

    private static FiveTupleRule FiveTupleRuleCatchAll => new(0, AddressPrefix.AnyIPv4, AddressPrefix.AnyIPv4, PortRange.Any, PortRange.Any, null, RuleAction.Allow);
}
