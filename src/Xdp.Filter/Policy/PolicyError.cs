namespace Xdp.Filter.Policy;

/// <summary>One reason a policy file is refused: the file, the path inside it (<c>[0].ingress[1].toPorts[0]</c>) and the problem.</summary>
public sealed record PolicyError(string File, string Path, string Problem)
{
    public override string ToString() => Path.Length == 0 ? $"{File}: {Problem}" : $"{File}: {Path}: {Problem}";
}

/// <summary>
/// Thrown when a policy file does not parse or validate. Nothing of a refused file is used: the caller keeps
/// enforcing its last good policy.
/// </summary>
public sealed class PolicyLoadException : Exception
{
    public PolicyLoadException(IReadOnlyList<PolicyError> errors)
        : base(Describe(errors))
    {
        Errors = errors;
    }

    public IReadOnlyList<PolicyError> Errors { get; }

    private static string Describe(IReadOnlyList<PolicyError> errors)
    {
        if (errors.Count == 0) return "Policy refused";
        return errors.Count == 1
            ? $"Policy refused: {errors[0]}"
            : $"Policy refused ({errors.Count} problems):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors);
    }
}
