using Xdp.ControlPlane.Etcd;

namespace Xdp.ControlPlane.Cluster;

/// <summary>
/// Keeps a <see cref="ClusterState"/> in step with etcd: a consistent snapshot at start (<see cref="StartAsync"/>),
/// then a watch of the prefix from the snapshot's revision + 1 whose responses are applied incrementally, one new
/// snapshot and one <see cref="Changed"/> call per response.
/// <para>
/// Faults: while etcd is unreachable the last state stays current and the watch is re-opened with exponential backoff
/// (<see cref="ClusterStateSyncOptions.MinBackoff"/> doubling to <see cref="ClusterStateSyncOptions.MaxBackoff"/>),
/// resuming from the last response's NextRevision so no change made meanwhile is missed or applied twice. When that
/// revision has been compacted away, the state is reloaded from a fresh snapshot and reported as one
/// <see cref="ClusterChangeKind.FullResync"/> change.
/// </para>
/// </summary>
public sealed class ClusterStateSync : IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly ClusterStateSyncOptions _options;
    private readonly ClusterEntryParser _parser;
    private readonly CancellationTokenSource _stop = new();
    private ClusterState _current = ClusterState.Empty;
    private Task? _loop;
    private int _connected;

    public ClusterStateSync(EtcdClient client, ClusterStateSyncOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _options = options ?? new ClusterStateSyncOptions();
        _parser = new ClusterEntryParser(new ClusterKeys(_options.Prefix), _options.PolicyValidator);
    }

    /// <summary>
    /// Subscribe before <see cref="StartAsync"/> to see every change after the first snapshot.
    /// Called on the sync's own task after each applied watch response (and after a full resync) with the new state
    /// and the changes that made it, in revision order. Handlers should be quick; an exception from one is logged and
    /// ignored (the state has already advanced).
    /// </summary>
    public event Action<ClusterState, IReadOnlyList<ClusterChange>>? Changed;

    /// <summary>The latest state; <see cref="ClusterState.Empty"/> until <see cref="StartAsync"/> has loaded a snapshot.</summary>
    public ClusterState Current => Volatile.Read(ref _current);

    /// <summary>True while a watch stream is open.</summary>
    public bool IsConnected => Volatile.Read(ref _connected) != 0;

    /// <summary>The key layout in use.</summary>
    public ClusterKeys Keys => _parser.Keys;

    /// <summary>The watch loop; completes when the sync is disposed.</summary>
    public Task Completion => _loop ?? Task.CompletedTask;

    /// <summary>
    /// Loads the first snapshot (retrying with backoff while etcd is unreachable, until <paramref name="cancellationToken"/>)
    /// and starts watching. Returns the snapshot, which is also <see cref="Current"/>.
    /// </summary>
    public async Task<ClusterState> StartAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The sync is already started.");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var state = await LoadSnapshotAsync(linked.Token).ConfigureAwait(false);
        Volatile.Write(ref _current, state);
        ReportRejected(state);
        _loop = Task.Run(() => WatchLoopAsync(_stop.Token), CancellationToken.None);
        return state;
    }

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

        _stop.Dispose();
    }

    private async Task<ClusterState> LoadSnapshotAsync(CancellationToken cancellationToken)
    {
        var backoff = _options.MinBackoff;
        while (true)
        {
            try
            {
                return await ClusterSnapshotReader.ReadAsync(_client, _parser, _options.PageSize, cancellationToken).ConfigureAwait(false);
            }
            catch (EtcdCompactedException)
            {
                // Compacted between two pages: the next attempt reads at the new current revision.
                Log("etcd compacted during the snapshot load; reading again");
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                Log($"etcd snapshot load failed ({e.Message}); retrying in {backoff.TotalMilliseconds:0} ms");
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = Next(backoff);
            }
        }
    }

    private async Task WatchLoopAsync(CancellationToken cancellationToken)
    {
        var backoff = _options.MinBackoff;
        long next = Current.Revision + 1;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var response in _client.WatchPrefixAsync(_parser.Keys.Prefix, next, progressNotify: true, cancellationToken: cancellationToken)
                    .ConfigureAwait(false))
                {
                    if (response.IsCreated)
                    {
                        Volatile.Write(ref _connected, 1);
                        backoff = _options.MinBackoff;
                    }

                    if (response.Events.Count > 0)
                    {
                        Apply(response);
                    }

                    next = Math.Max(next, response.NextRevision);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (EtcdCompactedException e)
            {
                Volatile.Write(ref _connected, 0);
                Log($"etcd watch from revision {next} failed: {e.Message}; resynchronising from a fresh snapshot");
                try
                {
                    var state = await LoadSnapshotAsync(cancellationToken).ConfigureAwait(false);
                    Volatile.Write(ref _current, state);
                    next = state.Revision + 1;
                    ReportRejected(state);
                    Raise(state, [new ClusterChange(ClusterChangeKind.FullResync, ClusterEntryKind.None, string.Empty, state.Revision)]);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                continue;
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                Volatile.Write(ref _connected, 0);
                Log($"etcd watch interrupted ({e.Message}); keeping the state of revision {Current.Revision}, reconnecting in {backoff.TotalMilliseconds:0} ms from revision {next}");
            }

            Volatile.Write(ref _connected, 0);
            try
            {
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            backoff = Next(backoff);
        }

        Volatile.Write(ref _connected, 0);
    }

    private void Apply(EtcdWatchResponse response)
    {
        var basis = Current;
        var editor = new ClusterStateEditor(basis, _parser);
        var changes = new ClusterChange[response.Events.Count];
        for (int i = 0; i < changes.Length; i++)
        {
            changes[i] = editor.Apply(response.Events[i]);
            if (changes[i].Kind == ClusterChangeKind.Rejected)
            {
                Log($"etcd key {changes[i].Key} refused: {changes[i].Problem}");
            }
        }

        var state = editor.ToState(response.NextRevision - 1);
        Volatile.Write(ref _current, state);
        Raise(state, changes);
    }

    private void Raise(ClusterState state, IReadOnlyList<ClusterChange> changes)
    {
        var handlers = Changed;
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((Action<ClusterState, IReadOnlyList<ClusterChange>>)handler)(state, changes);
            }
            catch (Exception e)
            {
                Log($"a cluster state handler failed: {e}");
            }
        }
    }

    private void ReportRejected(ClusterState state)
    {
        foreach (var (key, problem) in state.Rejected)
        {
            Log($"etcd key {key} refused: {problem}");
        }
    }

    /// <summary>
    /// Anything but the sync's own cancellation and a compaction (handled apart) is retried: etcd errors and broken
    /// streams above all, but also anything unforeseen, since the watcher must outlive a bad response.
    /// </summary>
    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && e is not EtcdCompactedException;

    private TimeSpan Next(TimeSpan backoff)
    {
        var doubled = backoff * 2;
        return doubled < _options.MaxBackoff ? doubled : _options.MaxBackoff;
    }

    private void Log(string line) => _options.Log?.Invoke(line);
}
