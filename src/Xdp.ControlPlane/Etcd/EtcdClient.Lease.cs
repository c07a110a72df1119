using Xdp.ControlPlane.Etcd.Gateway;

namespace Xdp.ControlPlane.Etcd;

// Lease service (rpc.proto service Lease; gateway paths /v3/lease/*).
public sealed partial class EtcdClient
{
    /// <summary>Grants a lease of <paramref name="ttl"/> (whole seconds, rounded up).</summary>
    public async Task<EtcdLease> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        long seconds = (long)Math.Ceiling(ttl.TotalSeconds);

        // Not idempotent: a repeated grant would leave an orphan lease (it expires on its own).
        var response = await CallAsync("/v3/lease/grant", new LeaseGrantRequest { Ttl = seconds },
            GatewayJsonContext.Default.LeaseGrantRequest, GatewayJsonContext.Default.LeaseGrantResponse, idempotent: false,
            cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(response.Error))
        {
            throw new EtcdException($"etcd lease grant: {response.Error}");
        }

        return new EtcdLease(response.Id, TimeSpan.FromSeconds(response.Ttl));
    }

    /// <summary>Refreshes the lease once.</summary>
    /// <returns>The TTL the lease has again.</returns>
    /// <exception cref="EtcdLeaseNotFoundException">The lease expired or was revoked.</exception>
    public async Task<TimeSpan> KeepAliveOnceAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        // LeaseKeepAlive is a bidirectional stream; through the gateway, a body of one request yields one result line
        // and the stream ends. An unknown lease is answered with TTL 0 (absent), not with an error.
        var line = await CallAsync("/v3/lease/keepalive", new LeaseIdRequest { Id = leaseId },
            GatewayJsonContext.Default.LeaseIdRequest, GatewayJsonContext.Default.LeaseKeepAliveStreamLine, idempotent: true,
            cancellationToken).ConfigureAwait(false);
        if (line.Error is { } error)
        {
            throw new EtcdException($"etcd lease keepalive: {error.Message}", error.GrpcCode);
        }

        long ttl = line.Result?.Ttl ?? 0;
        return ttl > 0 ? TimeSpan.FromSeconds(ttl) : throw new EtcdLeaseNotFoundException(leaseId);
    }

    /// <summary>
    /// Keeps the lease alive until cancelled: refreshes now, then every third of the TTL; while etcd is unreachable,
    /// retries every second (etcd extends every lease by its TTL when a leader is elected, so a restart does not by
    /// itself expire leases).
    /// </summary>
    /// <exception cref="EtcdLeaseNotFoundException">The lease is gone; its keys were deleted.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (the normal end).</exception>
    public async Task KeepAliveAsync(long leaseId, TimeSpan ttl, CancellationToken cancellationToken)
    {
        TimeSpan retry = TimeSpan.FromSeconds(1);
        while (true)
        {
            TimeSpan wait;
            try
            {
                TimeSpan granted = await KeepAliveOnceAsync(leaseId, cancellationToken).ConfigureAwait(false);
                wait = granted / 3;
            }
            catch (EtcdUnavailableException)
            {
                wait = retry < ttl / 3 ? retry : ttl / 3;
            }

            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts <see cref="KeepAliveAsync"/> in the background; dispose the keeper to stop.</summary>
    public EtcdLeaseKeeper StartKeepAlive(EtcdLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return new EtcdLeaseKeeper(this, lease);
    }

    /// <summary>The time the lease has left; null when it does not exist (expired or revoked).</summary>
    public async Task<TimeSpan?> TimeToLiveAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync("/v3/lease/timetolive", new LeaseTimeToLiveRequest { Id = leaseId },
            GatewayJsonContext.Default.LeaseTimeToLiveRequest, GatewayJsonContext.Default.LeaseTimeToLiveResponse,
            idempotent: true, cancellationToken).ConfigureAwait(false);

        // An unknown lease answers TTL -1.
        return response.Ttl >= 0 && response.GrantedTtl > 0 ? TimeSpan.FromSeconds(response.Ttl) : null;
    }

    /// <summary>Revokes the lease: its keys are deleted at once.</summary>
    /// <exception cref="EtcdLeaseNotFoundException">The lease does not exist.</exception>
    public async Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        try
        {
            await CallAsync("/v3/lease/revoke", new LeaseIdRequest { Id = leaseId },
                GatewayJsonContext.Default.LeaseIdRequest, GatewayJsonContext.Default.LeaseRevokeResponse, idempotent: true,
                cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdException e) when (IsLeaseNotFound(e))
        {
            throw new EtcdLeaseNotFoundException(leaseId);
        }
    }
}
