using Xdp.Filter.Classifier;

namespace Xdp.Filter.Tests.Classifier;

public class ClassifierAllocationTests
{
    [Fact]
    public void Classify_allocates_nothing()
    {
        var rules = ClassBenchReader.ReadFile(ClassBenchData.File("fw1_1k"));
        rules.Add(new FiveTupleRule(rules.Count, AddressPrefix.Parse("2001:db8::/32"), AddressPrefix.Parse("2001:db8:1::/48"), PortRange.Any, PortRange.Single(443), 6, RuleAction.Deny));
        var tree = HyperSplitClassifier.Build(rules);
        var linear = new LinearClassifier(rules);
        var headers = ClassBenchTraceGenerator.Generate(rules, 4096, seed: 1);
        var v6 = FiveTuple.IPv6(AddressPrefix.Parse("2001:db8::1").Address, AddressPrefix.Parse("2001:db8:1::2").Address, 6, 40000, 443);

        Run(3); // JIT and tier-up before measuring
        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = Run(20);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(sum > 0);

        long Run(int rounds)
        {
            long total = 0;
            for (var r = 0; r < rounds; r++)
            {
                foreach (var header in headers) total += tree.Classify(header) + linear.Classify(header);
                total += tree.Classify(v6) + linear.Classify(v6);
            }
            return total;
        }
    }
}
