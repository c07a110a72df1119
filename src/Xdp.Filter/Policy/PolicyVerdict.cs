namespace Xdp.Filter.Policy;

/// <summary>
/// Outcome of a policy lookup. Default verdicts are kept apart from rule verdicts so the stage can count
/// "policy deny" (a deny rule matched) and "default deny" (nothing allowed it) under different drop reasons.
/// </summary>
public enum PolicyVerdict : byte
{
    /// <summary>No allow rule matched and the endpoint is in default deny for this direction. Zero, so a
    /// default-initialised decision fails closed.</summary>
    DefaultDeny = 0,
    /// <summary>A deny rule matched (deny wins over allow).</summary>
    Deny = 1,
    /// <summary>An allow rule matched and no deny rule did.</summary>
    Allow = 2,
    /// <summary>No rule matched and the endpoint is not in default deny for this direction.</summary>
    DefaultAllow = 3,
}

/// <summary>A verdict and the policy map entry that gave it (index into the per-entry counters).</summary>
public readonly struct PolicyDecision(PolicyVerdict verdict, int entry)
{
    public PolicyVerdict Verdict { get; } = verdict;

    /// <summary>Entry index, 0 .. <see cref="PolicyMap.EntryCount"/>-1: rule entries, per-direction default entries, and entry 0 for an endpoint index without a policy slice.</summary>
    public int Entry { get; } = entry;

    public bool Allowed => Verdict is PolicyVerdict.Allow or PolicyVerdict.DefaultAllow;

    public override string ToString() => $"{Verdict} (entry {Entry})";
}
