using System.Text;
using Xdp.ControlPlane.Etcd;

namespace Xdp.ControlPlane.Cluster;

/// <summary>
/// Reads the whole prefix as one consistent snapshot: the first page at the current revision, every further page at
/// that same revision (etcd serves a past revision from its MVCC store), so the pages together are the state at one
/// revision even while other clients write. A compaction between pages raises EtcdCompactedException; the caller
/// starts over.
/// </summary>
public static class ClusterSnapshotReader
{
    public const int DefaultPageSize = 50_000;

    /// <returns>The snapshot, with the rejected keys' problems in <see cref="ClusterState.Rejected"/>.</returns>
    public static async Task<ClusterState> ReadAsync(
        EtcdClient client, ClusterEntryParser parser, int pageSize = DefaultPageSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var editor = new ClusterStateEditor(ClusterState.Empty, parser);
        var whole = EtcdKeyRange.Prefix(parser.Keys.Prefix);
        byte[] from = whole.Key;
        long revision = 0;
        while (true)
        {
            var page = await client.RangeAsync(EtcdKeyRange.Interval(from, whole.RangeEnd!), revision, pageSize, cancellationToken)
                .ConfigureAwait(false);
            revision = page.Revision;
            foreach (var kv in page.Kvs)
            {
                editor.Put(kv.Key, kv.Value.Span, kv.ModRevision);
            }

            if (!page.More || page.Kvs.Count == 0)
            {
                return editor.ToState(revision);
            }

            // The next page starts just after the last key: the key followed by a zero byte.
            byte[] last = Encoding.UTF8.GetBytes(page.Kvs[^1].Key);
            from = new byte[last.Length + 1];
            last.CopyTo(from, 0);
        }
    }
}
