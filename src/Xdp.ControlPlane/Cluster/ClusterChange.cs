namespace Xdp.ControlPlane.Cluster;

public enum ClusterChangeKind
{
    /// <summary>An entry was created or modified (<see cref="ClusterChange.Current"/>; <see cref="ClusterChange.Previous"/> when it existed).</summary>
    Put,

    /// <summary>An entry was deleted or expired with its lease (<see cref="ClusterChange.Previous"/> when it was valid).</summary>
    Delete,

    /// <summary>
    /// A key or value was refused (<see cref="ClusterChange.Problem"/>): the key counts as absent (a valid entry it
    /// replaced is removed, <see cref="ClusterChange.Previous"/>) and is listed in <see cref="ClusterState.Rejected"/>.
    /// </summary>
    Rejected,

    /// <summary>
    /// The state was reloaded from a fresh snapshot (the watch's history was compacted while away): rebuild from the
    /// new state rather than apply deltas.
    /// </summary>
    FullResync,
}

/// <summary>One applied change of the cluster state.</summary>
/// <param name="Key">The full etcd key; empty for <see cref="ClusterChangeKind.FullResync"/>.</param>
/// <param name="Revision">The etcd revision of the change (of the snapshot for a full resync).</param>
/// <param name="Previous">The entry before (a ClusterEndpoint, ClusterMapping, ...), null when there was none.</param>
/// <param name="Current">The entry after a put, null otherwise.</param>
/// <param name="Problem">Why a rejected key was refused.</param>
public sealed record ClusterChange(
    ClusterChangeKind Kind,
    ClusterEntryKind Entry,
    string Key,
    long Revision,
    object? Previous = null,
    object? Current = null,
    string? Problem = null)
{
    public override string ToString() => Kind switch
    {
        ClusterChangeKind.FullResync => $"full resync at revision {Revision}",
        ClusterChangeKind.Rejected => $"rejected {Key}@{Revision}: {Problem}",
        _ => $"{Kind.ToString().ToLowerInvariant()} {Key}@{Revision}",
    };
}
