namespace Xdp.ControlPlane.Etcd;

/// <summary>
/// Keeps a lease alive in the background (<see cref="EtcdClient.KeepAliveAsync"/>) until disposed. Disposing stops
/// the refreshes but does not revoke the lease: its keys then expire after the TTL, as a crashed host's would.
/// </summary>
public sealed class EtcdLeaseKeeper : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    internal EtcdLeaseKeeper(EtcdClient client, EtcdLease lease)
    {
        Lease = lease;
        Completion = Task.Run(() => client.KeepAliveAsync(lease.Id, lease.Ttl, _stop.Token));
    }

    public EtcdLease Lease { get; }

    /// <summary>
    /// Faults with <see cref="EtcdLeaseNotFoundException"/> when the lease is gone (expired while etcd was unreachable
    /// longer than the TTL, or revoked); otherwise runs until the keeper is disposed.
    /// </summary>
    public Task Completion { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Completion.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (EtcdException)
        {
            // Already observable through Completion.
        }

        _stop.Dispose();
    }
}
