namespace Xdp.Filter.Classifier;

/// <summary>
/// The reference: tries every rule in order and returns the first that matches, exactly as iptables walks a
/// chain. Cost grows linearly with the rule count; kept as the oracle the fast classifier is checked against.
/// </summary>
public sealed class LinearClassifier : IFiveTupleClassifier
{
    private readonly FiveTupleRule[] _rules;

    public LinearClassifier(IReadOnlyList<FiveTupleRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [.. rules];
        for (var i = 0; i < _rules.Length; i++) _rules[i].Validate(i);
    }

    public IReadOnlyList<FiveTupleRule> Rules => _rules;

    public int Classify(in FiveTuple key)
    {
        var rules = _rules;
        for (var i = 0; i < rules.Length; i++)
        {
            if (rules[i].Matches(key)) return i;
        }
        return -1;
    }
}
