namespace Xdp.Filter.Classifier;

/// <summary>First-match classification of a packet's 5-tuple against an ordered rule list.</summary>
public interface IFiveTupleClassifier
{
    /// <summary>The ordered rules, index = priority (0 first).</summary>
    IReadOnlyList<FiveTupleRule> Rules { get; }

    /// <summary>Index in <see cref="Rules"/> of the first rule matching <paramref name="key"/>, or -1. Allocation-free.</summary>
    int Classify(in FiveTuple key);
}
