using Xdp.ControlPlane.Etcd;

namespace Xdp.ControlPlane.Cluster;

/// <summary>
/// Publishes this host's own entries (<c>hosts/&lt;node&gt;</c> and its endpoints) under a lease kept alive in the
/// background, so that when the host dies its entries expire with the lease and every other host's watch sees them
/// deleted. When the lease is lost (etcd unreachable for longer than the TTL, or revoked) the entries are published
/// again under a new lease; while etcd is unreachable it retries with backoff.
/// </summary>
public sealed class HostPublisher : IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly ClusterKeys _keys;
    private readonly ClusterHost _host;
    private IReadOnlyList<ClusterEndpoint> _endpoints;
    private IReadOnlyList<ClusterMapping> _mappings = [];
    // Publications and changes of the lists take turns, so an entry is never written under a lease being replaced.
    private readonly SemaphoreSlim _writing = new(1, 1);
    private HashSet<string> _written = new(StringComparer.Ordinal);
    private readonly TimeSpan _ttl;
    private readonly Action<string>? _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _leaseId;
    private int _publications;

    /// <param name="ttl">The lease's time to live: how long after the host's death its entries remain (default 10 s).</param>
    public HostPublisher(
        EtcdClient client,
        ClusterKeys keys,
        ClusterHost host,
        IReadOnlyList<ClusterEndpoint> endpoints,
        TimeSpan? ttl = null,
        Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(endpoints);
        _client = client;
        _keys = keys;
        _host = host;
        _endpoints = endpoints;
        _ttl = ttl ?? TimeSpan.FromSeconds(10);
        _log = log;
        _ = keys.Host(host.Node);
        foreach (var endpoint in endpoints)
        {
            _ = keys.Endpoint(endpoint.Name);
        }
    }

    /// <summary>
    /// Replaces this host's endpoints and ILA mappings (endpoints added or removed while it runs): entries no longer
    /// listed are deleted and the current ones written under the current lease in one transaction; before the first
    /// publication (or while etcd is unreachable) the lists are only kept for it. Throws what etcd answered.
    /// </summary>
    public async Task SetAsync(IReadOnlyList<ClusterEndpoint> endpoints, IReadOnlyList<ClusterMapping> mappings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(mappings);
        foreach (var endpoint in endpoints) _ = _keys.Endpoint(endpoint.Name);
        foreach (var mapping in mappings) _ = _keys.Mapping(mapping.SirPrefix, mapping.Identifier);
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Volatile.Write(ref _endpoints, endpoints);
            Volatile.Write(ref _mappings, mappings);
            var lease = LeaseId;
            if (lease == 0) return;
            var (txn, keys) = Entries(lease);
            foreach (var stale in _written)
            {
                if (!keys.Contains(stale)) txn.ThenDelete(EtcdKeyRange.Single(stale));
            }
            await _client.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
            _written = keys;
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>The host, its endpoints and mappings as puts under <paramref name="lease"/>, with their keys.</summary>
    private (EtcdTxn Txn, HashSet<string> Keys) Entries(long lease)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var txn = new EtcdTxn().ThenPut(_keys.Host(_host.Node), ClusterValueWriter.Host(_host), lease);
        keys.Add(_keys.Host(_host.Node));
        foreach (var endpoint in Volatile.Read(ref _endpoints))
        {
            txn.ThenPut(_keys.Endpoint(endpoint.Name), ClusterValueWriter.Endpoint(endpoint), lease);
            keys.Add(_keys.Endpoint(endpoint.Name));
        }
        foreach (var mapping in Volatile.Read(ref _mappings))
        {
            var key = _keys.Mapping(mapping.SirPrefix, mapping.Identifier);
            txn.ThenPut(key, ClusterValueWriter.Mapping(mapping), lease);
            keys.Add(key);
        }
        return (txn, keys);
    }

    /// <summary>The lease the entries are attached to now; 0 before the first publication.</summary>
    public long LeaseId => Volatile.Read(ref _leaseId);

    /// <summary>How many times the entries were published (1 + re-publications after lost leases).</summary>
    public int Publications => Volatile.Read(ref _publications);

    /// <summary>Publishes once (retrying while etcd is unreachable) and keeps the entries alive until disposed.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The publisher is already started.");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var keeper = await PublishAsync(linked.Token).ConfigureAwait(false);
        _loop = Task.Run(() => KeepAsync(keeper, _stop.Token), CancellationToken.None);
    }

    /// <summary>Stops the keep-alive and revokes the lease: a host that shuts down cleanly removes its entries at once.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        long lease = LeaseId;
        if (lease != 0)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _client.RevokeLeaseAsync(lease, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is EtcdException or OperationCanceledException or HttpRequestException)
            {
                // Unreachable or already gone: the entries expire with the lease.
            }
        }

        _stop.Dispose();
    }

    private async Task KeepAsync(EtcdLeaseKeeper keeper, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await keeper.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (EtcdLeaseNotFoundException)
            {
                _log?.Invoke($"etcd lease {keeper.Lease.Id:x} of host {_host.Node} was lost; publishing its entries again");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await keeper.DisposeAsync().ConfigureAwait(false);
                return;
            }
            catch (EtcdException e)
            {
                _log?.Invoke($"etcd keep-alive of host {_host.Node} failed ({e.Message}); publishing again");
            }

            await keeper.DisposeAsync().ConfigureAwait(false);
            try
            {
                keeper = await PublishAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Stops the keep-alive without revoking the lease, as a crashed host would: the entries stay until the TTL runs
    /// out. For tests of expiry.
    /// </summary>
    internal async Task AbandonAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        Volatile.Write(ref _leaseId, 0);
    }

    /// <summary>Grants a lease and writes every entry with it in one transaction, retrying with backoff.</summary>
    private async Task<EtcdLeaseKeeper> PublishAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                var lease = await _client.GrantLeaseAsync(_ttl, cancellationToken).ConfigureAwait(false);
                await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var (txn, keys) = Entries(lease.Id);
                    await _client.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
                    _written = keys;
                    Volatile.Write(ref _leaseId, lease.Id);
                }
                finally
                {
                    _writing.Release();
                }
                Interlocked.Increment(ref _publications);
                return _client.StartKeepAlive(lease);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is EtcdException or HttpRequestException or IOException)
            {
                _log?.Invoke($"publishing host {_host.Node} to etcd failed ({e.Message}); retrying in {backoff.TotalMilliseconds:0} ms");
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = backoff * 2 < TimeSpan.FromSeconds(5) ? backoff * 2 : TimeSpan.FromSeconds(5);
            }
        }
    }
}
