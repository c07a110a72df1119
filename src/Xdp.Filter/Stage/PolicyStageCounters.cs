namespace Xdp.Filter.Stage;

/// <summary>What the policy stage decided, by outcome (written by the worker, read by the stats).</summary>
public sealed class PolicyStageCounters
{
    /// <summary>Packets of a new (or untracked) flow a rule allowed, or default-allowed.</summary>
    public long Allowed;
    /// <summary>Packets dropped by a deny rule.</summary>
    public long Denied;
    /// <summary>Packets dropped because nothing allowed them under default deny.</summary>
    public long DefaultDenied;
    /// <summary>Packets of an established flow, passed without a policy lookup.</summary>
    public long Established;
    /// <summary>ICMP errors related to a tracked flow, passed without a policy lookup.</summary>
    public long Related;
    /// <summary>Neighbour discovery (ICMPv6 133..137), always allowed: a link without it does not work.</summary>
    public long NeighborDiscovery;
    /// <summary>New flows the 5-tuple rules let through (a matching Allow, or no match with default Allow).</summary>
    public long RuleAllowed;
    /// <summary>New flows a 5-tuple rule (or the rules' default) dropped.</summary>
    public long RuleDenied;
    /// <summary>Packets from a local interface with a source address that is not one of its endpoints'.</summary>
    public long Spoofed;
    /// <summary>TCP connections met mid-stream (after a restart) and picked up as established, policy permitting.</summary>
    public long PickedUp;
    /// <summary>Flows created in the connection-tracking table.</summary>
    public long FlowsCreated;
}
