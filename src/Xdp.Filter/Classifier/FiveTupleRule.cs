namespace Xdp.Filter.Classifier;

/// <summary>
/// One ordered (iptables-style) rule: the packet matches when every field matches. Source and destination
/// prefixes must be of the same family, and the rule only matches packets of that family (as iptables and
/// ip6tables keep separate tables). A rule's priority is its position in the list handed to a classifier.
/// </summary>
/// <param name="Protocol">IP protocol number (IPv6: the upper-layer Next Header), or null for any protocol.</param>
public readonly record struct FiveTupleRule(
    int Id,
    AddressPrefix Source,
    AddressPrefix Destination,
    PortRange SourcePorts,
    PortRange DestinationPorts,
    byte? Protocol,
    RuleAction Action)
{
    public bool IsIPv6 => Source.IsIPv6;

    /// <summary>The reference semantics every classifier must agree with.</summary>
    public bool Matches(in FiveTuple key) =>
        key.IsIPv6 == Source.IsIPv6
        && Source.Contains(key.Source)
        && Destination.Contains(key.Destination)
        && SourcePorts.Contains(key.SourcePort)
        && DestinationPorts.Contains(key.DestinationPort)
        && (Protocol is not { } protocol || protocol == key.Protocol);

    /// <summary>Refuses a rule whose prefixes mix IPv4 and IPv6, naming the rule.</summary>
    internal void Validate(int index)
    {
        if (Source.IsIPv6 != Destination.IsIPv6)
            throw new ArgumentException($"rule {index} (id {Id}): source {Source} and destination {Destination} are of different address families");
    }
}
