namespace Xdp.Filter.Policy;

/// <summary>
/// A format-neutral tree of a policy document: JSON and YAML are both read into it, so one binder validates both
/// and reports the same paths. Keys keep their spelling; the binder matches them case-insensitively.
/// </summary>
internal abstract class PolicyNode
{
    public abstract string KindName { get; }
}

internal sealed class PolicyMapNode : PolicyNode
{
    public List<KeyValuePair<string, PolicyNode>> Entries { get; } = new();

    public override string KindName => "an object";
}

internal sealed class PolicyListNode : PolicyNode
{
    public List<PolicyNode> Items { get; } = new();

    public override string KindName => "a list";
}

internal enum PolicyScalarKind
{
    Null,
    String,
    Number,
    Boolean,
}

internal sealed class PolicyScalarNode(string text, PolicyScalarKind kind) : PolicyNode
{
    public string Text { get; } = text;

    public PolicyScalarKind Kind { get; } = kind;

    public override string KindName => Kind switch
    {
        PolicyScalarKind.Null => "null",
        PolicyScalarKind.Number => "a number",
        PolicyScalarKind.Boolean => "a boolean",
        _ => "a string",
    };
}
