namespace Xdp.ControlPlane.Cluster;

/// <summary>What a cluster key holds (the first segment after the prefix).</summary>
public enum ClusterEntryKind
{
    /// <summary>A key that is not one of the kinds below (reported as rejected), or a change that is not one entry's.</summary>
    None,
    Endpoint,
    Mapping,
    Fdb,
    Flood,
    Policy,
    Host,
}

/// <summary>An endpoint (container): <c>endpoints/&lt;name&gt;</c>. With a <see cref="Host"/> it lives on that node.</summary>
/// <param name="Labels">"key=value" strings, as in the host file.</param>
public sealed record ClusterEndpoint(string Name, IReadOnlyList<string> Addresses, string? Host, string? Interface, IReadOnlyList<string> Labels);

/// <summary>An ILA identifier -> locator mapping in the SIR domain of <paramref name="SirPrefix"/>: <c>ila/&lt;sir&gt;/&lt;id&gt;</c>.</summary>
/// <param name="SirPrefix">Canonical /64 prefix without length, e.g. "2001:db8:5151::".</param>
/// <param name="Identifier">Canonical four groups, e.g. "1:0:0:2".</param>
/// <param name="Locator">As written: "2001:db8:a::" or "2001:db8:a:0".</param>
/// <param name="ChecksumMode">One of <see cref="ClusterSyntax.ChecksumModes"/>; null for the domain's.</param>
public sealed record ClusterMapping(string SirPrefix, string Identifier, string Locator, string? ChecksumMode);

/// <summary>A static VXLAN FDB entry: inner MAC -> remote VTEP in segment <paramref name="Vni"/>.</summary>
public sealed record ClusterFdbEntry(int Vni, string Mac, string Vtep);

/// <summary>A remote VTEP in segment <paramref name="Vni"/>'s flood list (head-end replication).</summary>
public sealed record ClusterFloodEntry(int Vni, string Vtep);

/// <summary>A policy document (Cilium format, JSON or YAML) by name.</summary>
public sealed record ClusterPolicy(string Name, string Text);

/// <summary>A live host: <c>hosts/&lt;node&gt;</c>, written under its lease.</summary>
/// <param name="Vtep">Its VXLAN tunnel endpoint address; null without VXLAN.</param>
/// <param name="Locators">Its ILA locators.</param>
public sealed record ClusterHost(string Node, string? Vtep, IReadOnlyList<string> Locators);
