using System.Text;
using Xdp.ControlPlane.Etcd.Gateway;

namespace Xdp.ControlPlane.Etcd;

// KV service: Range, Put, DeleteRange, Txn, Compact (rpc.proto service KV; gateway paths /v3/kv/*).
public sealed partial class EtcdClient
{
    /// <summary>Reads the keys of <paramref name="range"/>.</summary>
    /// <param name="range">One key, a prefix or an interval.</param>
    /// <param name="revision">The revision to read at; 0 for the latest.</param>
    /// <param name="limit">At most this many keys (result.More tells whether some were left out); 0 for all.</param>
    /// <exception cref="EtcdCompactedException"><paramref name="revision"/> is older than the compaction point.</exception>
    public async Task<EtcdRangeResult> RangeAsync(EtcdKeyRange range, long revision = 0, long limit = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var request = new RangeRequest { Key = range.Key, RangeEnd = range.RangeEnd, Revision = revision, Limit = limit };
        RangeResponse response;
        try
        {
            response = await CallAsync("/v3/kv/range", request, GatewayJsonContext.Default.RangeRequest,
                GatewayJsonContext.Default.RangeResponse, idempotent: true, cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdException e) when (IsCompacted(e))
        {
            throw new EtcdCompactedException(0, revision);
        }

        return new EtcdRangeResult(
            revision != 0 ? revision : RevisionOf(response.Header),
            EtcdKeyValue.FromList(response.Kvs),
            response.More,
            response.Count);
    }

    /// <summary>Reads one key; the result holds it or is empty.</summary>
    public Task<EtcdRangeResult> RangeAsync(string key, long revision = 0, CancellationToken cancellationToken = default) =>
        RangeAsync(EtcdKeyRange.Single(key), revision, 0, cancellationToken);

    /// <summary>Reads every key under <paramref name="prefix"/> (a consistent snapshot at one revision).</summary>
    public Task<EtcdRangeResult> RangePrefixAsync(string prefix, long revision = 0, CancellationToken cancellationToken = default) =>
        RangeAsync(EtcdKeyRange.Prefix(prefix), revision, 0, cancellationToken);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, attached to <paramref name="lease"/> when not 0.</summary>
    /// <returns>The revision of the change.</returns>
    /// <exception cref="EtcdLeaseNotFoundException">The lease does not exist.</exception>
    public async Task<long> PutAsync(string key, ReadOnlyMemory<byte> value, long lease = 0, CancellationToken cancellationToken = default)
    {
        var request = new PutRequest { Key = EtcdKeyRange.Single(key).Key, Value = value.ToArray(), Lease = lease };
        try
        {
            // Not repeated after a possible delivery: a second put would be a second revision (and event).
            var response = await CallAsync("/v3/kv/put", request, GatewayJsonContext.Default.PutRequest,
                GatewayJsonContext.Default.PutResponse, idempotent: false, cancellationToken).ConfigureAwait(false);
            return RevisionOf(response.Header);
        }
        catch (EtcdException e) when (lease != 0 && IsLeaseNotFound(e))
        {
            throw new EtcdLeaseNotFoundException(lease);
        }
    }

    /// <summary>Sets <paramref name="key"/> to the UTF-8 bytes of <paramref name="value"/>.</summary>
    public Task<long> PutAsync(string key, string value, long lease = 0, CancellationToken cancellationToken = default) =>
        PutAsync(key, Encoding.UTF8.GetBytes(value), lease, cancellationToken);

    /// <summary>Deletes the keys of <paramref name="range"/>.</summary>
    public async Task<EtcdDeleteResult> DeleteAsync(EtcdKeyRange range, CancellationToken cancellationToken = default)
    {
        var request = new DeleteRangeRequest { Key = range.Key, RangeEnd = range.RangeEnd };
        var response = await CallAsync("/v3/kv/deleterange", request, GatewayJsonContext.Default.DeleteRangeRequest,
            GatewayJsonContext.Default.DeleteRangeResponse, idempotent: false, cancellationToken).ConfigureAwait(false);
        return new EtcdDeleteResult(RevisionOf(response.Header), response.Deleted);
    }

    /// <summary>Deletes one key.</summary>
    public Task<EtcdDeleteResult> DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        DeleteAsync(EtcdKeyRange.Single(key), cancellationToken);

    /// <summary>Deletes every key under <paramref name="prefix"/>.</summary>
    public Task<EtcdDeleteResult> DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default) =>
        DeleteAsync(EtcdKeyRange.Prefix(prefix), cancellationToken);

    /// <summary>Runs a transaction atomically.</summary>
    public async Task<EtcdTxnResult> TxnAsync(EtcdTxn txn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(txn);
        var response = await CallAsync("/v3/kv/txn", txn.ToRequest(), GatewayJsonContext.Default.TxnRequest,
            GatewayJsonContext.Default.TxnResponse, idempotent: false, cancellationToken).ConfigureAwait(false);
        var ops = response.Responses;
        var results = new EtcdTxnOpResult[ops?.Count ?? 0];
        for (int i = 0; i < results.Length; i++)
        {
            var op = ops![i];
            results[i] = op.ResponseRange is { } range ? new EtcdTxnOpResult(EtcdTxnOpKind.Range, EtcdKeyValue.FromList(range.Kvs), 0)
                : op.ResponseDeleteRange is { } delete ? new EtcdTxnOpResult(EtcdTxnOpKind.Delete, [], delete.Deleted)
                : new EtcdTxnOpResult(EtcdTxnOpKind.Put, [], 0);
        }

        return new EtcdTxnResult(response.Succeeded, RevisionOf(response.Header), results);
    }

    /// <summary>
    /// Discards the history before <paramref name="revision"/>: reads and watches at older revisions then fail with
    /// <see cref="EtcdCompactedException"/>.
    /// </summary>
    /// <returns>The store revision.</returns>
    public async Task<long> CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(revision);
        var response = await CallAsync("/v3/kv/compaction", new CompactionRequest { Revision = revision, Physical = true },
            GatewayJsonContext.Default.CompactionRequest, GatewayJsonContext.Default.CompactionResponse, idempotent: true,
            cancellationToken).ConfigureAwait(false);
        return RevisionOf(response.Header);
    }

    // etcdserver/api/v3rpc/rpctypes: ErrGRPCCompacted is OutOfRange (11) "mvcc: required revision has been compacted";
    // ErrGRPCLeaseNotFound is NotFound (5) "requested lease not found".
    private static bool IsCompacted(EtcdException e) =>
        e.GrpcCode == 11 && e.Message.Contains("compacted", StringComparison.Ordinal);

    private static bool IsLeaseNotFound(EtcdException e) =>
        e.GrpcCode == 5 && e.Message.Contains("lease not found", StringComparison.Ordinal);
}
