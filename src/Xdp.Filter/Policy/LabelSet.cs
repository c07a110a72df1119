namespace Xdp.Filter.Policy;

/// <summary>
/// The labels of an endpoint or identity, keys normalised as Cilium's selectors read them: a source prefix
/// (<c>k8s:app</c>, <c>container:app</c>, <c>any:app</c>) is dropped because XdpNet's endpoints carry one source
/// (the host configuration); <c>reserved:</c> and <c>cidr:</c> keys keep theirs so a user label can never
/// impersonate a reserved identity.
/// </summary>
public sealed class LabelSet : IEquatable<LabelSet>
{
    private readonly Dictionary<string, string> _labels;

    public static LabelSet Empty { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    private LabelSet(Dictionary<string, string> labels)
    {
        _labels = labels;
        var keys = new List<string>(labels.Keys);
        keys.Sort(StringComparer.Ordinal);
        var parts = new string[keys.Count];
        for (var i = 0; i < keys.Count; i++) parts[i] = keys[i] + "=" + labels[keys[i]];
        Canonical = string.Join(";", parts);
    }

    /// <summary>Sorted <c>key=value</c> pairs joined by <c>;</c>: equal label sets have equal canonical forms.</summary>
    public string Canonical { get; }

    public int Count => _labels.Count;

    public IReadOnlyDictionary<string, string> Labels => _labels;

    public static LabelSet From(IEnumerable<KeyValuePair<string, string>> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var normalised = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in labels)
        {
            var normalisedKey = NormaliseKey(key);
            if (!normalised.TryAdd(normalisedKey, value ?? "") && normalised[normalisedKey] != (value ?? ""))
                throw new ArgumentException($"Label {normalisedKey} given twice with different values", nameof(labels));
        }
        return new LabelSet(normalised);
    }

    public bool TryGetValue(string normalisedKey, out string value)
    {
        if (_labels.TryGetValue(normalisedKey, out var found))
        {
            value = found;
            return true;
        }
        value = "";
        return false;
    }

    public bool ContainsKey(string normalisedKey) => _labels.ContainsKey(normalisedKey);

    /// <summary>Drops a source prefix other than <c>reserved:</c> / <c>cidr:</c> (Kubernetes label keys cannot contain ':').</summary>
    public static string NormaliseKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var colon = key.IndexOf(':');
        if (colon < 0) return key;
        var source = key.AsSpan(0, colon);
        if (source.Equals("reserved", StringComparison.OrdinalIgnoreCase)) return "reserved:" + key[(colon + 1)..];
        if (source.Equals("cidr", StringComparison.OrdinalIgnoreCase)) return "cidr:" + key[(colon + 1)..];
        return key[(colon + 1)..];
    }

    public bool Equals(LabelSet? other) => other is not null && other.Canonical == Canonical;

    public override bool Equals(object? obj) => obj is LabelSet other && Equals(other);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Canonical);

    public override string ToString() => Canonical;
}
