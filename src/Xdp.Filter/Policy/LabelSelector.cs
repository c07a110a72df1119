namespace Xdp.Filter.Policy;

/// <summary>Operators of a Kubernetes label selector requirement.</summary>
public enum SelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// <summary>One <c>matchExpressions</c> entry, key normalised as in <see cref="LabelSet.NormaliseKey"/>.</summary>
public sealed record LabelRequirement(string Key, SelectorOperator Operator, IReadOnlyList<string> Values)
{
    public bool Matches(LabelSet labels)
    {
        var present = labels.TryGetValue(Key, out var value);
        return Operator switch
        {
            SelectorOperator.Exists => present,
            SelectorOperator.DoesNotExist => !present,
            SelectorOperator.In => present && Contains(value),
            _ => !present || !Contains(value),
        };
    }

    private bool Contains(string value)
    {
        foreach (var candidate in Values)
            if (candidate == value) return true;
        return false;
    }
}

/// <summary>
/// A Kubernetes/Cilium label selector: every <c>matchLabels</c> pair and every requirement must hold (AND).
/// The empty selector selects every identity, reserved ones included.
/// </summary>
public sealed record LabelSelector(IReadOnlyList<KeyValuePair<string, string>> MatchLabels, IReadOnlyList<LabelRequirement> MatchExpressions)
{
    public static LabelSelector All { get; } = new([], []);

    public bool IsEmpty => MatchLabels.Count == 0 && MatchExpressions.Count == 0;

    public bool Matches(LabelSet labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        foreach (var (key, value) in MatchLabels)
            if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        foreach (var requirement in MatchExpressions)
            if (!requirement.Matches(labels)) return false;
        return true;
    }

    /// <summary>This selector with <c>key=value</c> added unless it already constrains <paramref name="key"/>.</summary>
    internal LabelSelector WithLabelUnlessConstrained(string key, string value)
    {
        foreach (var pair in MatchLabels)
            if (pair.Key == key) return this;
        foreach (var requirement in MatchExpressions)
            if (requirement.Key == key) return this;
        var labels = new List<KeyValuePair<string, string>>(MatchLabels) { new(key, value) };
        return this with { MatchLabels = labels };
    }
}
