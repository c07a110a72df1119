using Xdp.Filter.Classifier;

namespace Xdp.Filter.Stage;

/// <summary>
/// Ordered 5-tuple rules compiled for the data plane: the classifier (HyperSplit: per-packet work that grows far
/// slower than the rule count), the action when no rule matches, and packet/byte counters per rule (written by the
/// worker only). Immutable apart from the counters; a reload builds a new set.
/// </summary>
public sealed class FiveTupleRuleSet
{
    public FiveTupleRuleSet(IReadOnlyList<FiveTupleRule> rules, RuleAction defaultAction)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Classifier = HyperSplitClassifier.Build(rules);
        DefaultAction = defaultAction;
        Packets = new long[rules.Count];
        Bytes = new long[rules.Count];
    }

    public HyperSplitClassifier Classifier { get; }
    public RuleAction DefaultAction { get; }
    public long[] Packets { get; }
    public long[] Bytes { get; }
}
