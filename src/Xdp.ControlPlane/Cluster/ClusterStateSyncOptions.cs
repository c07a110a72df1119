namespace Xdp.ControlPlane.Cluster;

/// <summary>Settings of a <see cref="ClusterStateSync"/>.</summary>
public sealed class ClusterStateSyncOptions
{
    /// <summary>The key prefix (see <see cref="ClusterKeys"/>).</summary>
    public string Prefix { get; init; } = ClusterKeys.DefaultPrefix;

    /// <summary>Keys per range request of a snapshot load.</summary>
    public int PageSize { get; init; } = ClusterSnapshotReader.DefaultPageSize;

    /// <summary>First wait before reconnecting; doubled after each failure up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Policy check (name, text) -> problem or null; see <see cref="ClusterEntryParser"/>.</summary>
    public Func<string, string, string?>? PolicyValidator { get; init; }

    /// <summary>Receives one line per event worth logging (reconnects, resyncs, rejected keys); null for none.</summary>
    public Action<string>? Log { get; init; }
}
