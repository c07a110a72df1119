namespace Xdp.Filter.Classifier;

/// <summary>What a matching ordered rule does with the packet.</summary>
public enum RuleAction : byte
{
    Allow,
    Deny,
}
