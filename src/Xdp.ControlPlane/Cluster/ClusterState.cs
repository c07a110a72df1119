using System.Collections.Immutable;

namespace Xdp.ControlPlane.Cluster;

/// <summary>
/// An immutable snapshot of the cluster state under one prefix, as of etcd revision <see cref="Revision"/>.
/// Collections are persistent (System.Collections.Immutable): a new snapshot after one change shares all but
/// O(log n) nodes with the previous one, so applying a change to a million mappings copies no table. Snapshots may be
/// read from any thread while newer ones are made.
/// </summary>
public sealed class ClusterState
{
    internal ClusterState(
        long revision,
        ImmutableDictionary<string, ClusterEndpoint> endpoints,
        ImmutableDictionary<string, ImmutableDictionary<string, ClusterMapping>> mappings,
        ImmutableDictionary<int, ImmutableDictionary<string, ClusterFdbEntry>> fdb,
        ImmutableDictionary<int, ImmutableHashSet<string>> flood,
        ImmutableDictionary<string, ClusterPolicy> policies,
        ImmutableDictionary<string, ClusterHost> hosts,
        ImmutableDictionary<string, string> rejected,
        int mappingCount)
    {
        Revision = revision;
        Endpoints = endpoints;
        Mappings = mappings;
        Fdb = fdb;
        Flood = flood;
        Policies = policies;
        Hosts = hosts;
        Rejected = rejected;
        MappingCount = mappingCount;
    }

    /// <summary>No entries, revision 0.</summary>
    public static ClusterState Empty { get; } = new(
        0,
        ImmutableDictionary<string, ClusterEndpoint>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<string, ImmutableDictionary<string, ClusterMapping>>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<int, ImmutableDictionary<string, ClusterFdbEntry>>.Empty,
        ImmutableDictionary<int, ImmutableHashSet<string>>.Empty,
        ImmutableDictionary<string, ClusterPolicy>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<string, ClusterHost>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal),
        0);

    /// <summary>The etcd revision this snapshot reflects: every change up to it, none after.</summary>
    public long Revision { get; }

    /// <summary>Endpoints by name.</summary>
    public ImmutableDictionary<string, ClusterEndpoint> Endpoints { get; }

    /// <summary>ILA mappings by SIR prefix (canonical, e.g. "2001:db8:5151::"), then by identifier ("1:0:0:2").</summary>
    public ImmutableDictionary<string, ImmutableDictionary<string, ClusterMapping>> Mappings { get; }

    /// <summary>Static FDB entries by VNI, then by MAC (canonical lower case).</summary>
    public ImmutableDictionary<int, ImmutableDictionary<string, ClusterFdbEntry>> Fdb { get; }

    /// <summary>Flood-list VTEPs by VNI.</summary>
    public ImmutableDictionary<int, ImmutableHashSet<string>> Flood { get; }

    /// <summary>Policy documents by name.</summary>
    public ImmutableDictionary<string, ClusterPolicy> Policies { get; }

    /// <summary>Live hosts by node name (their keys expire with their lease).</summary>
    public ImmutableDictionary<string, ClusterHost> Hosts { get; }

    /// <summary>Keys present in etcd whose key or value was refused, with the problem; they count as absent.</summary>
    public ImmutableDictionary<string, string> Rejected { get; }

    /// <summary>The number of ILA mappings over all SIR prefixes.</summary>
    public int MappingCount { get; }

    internal ClusterState WithRevision(long revision) => revision == Revision
        ? this
        : new(revision, Endpoints, Mappings, Fdb, Flood, Policies, Hosts, Rejected, MappingCount);
}
