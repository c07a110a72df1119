namespace Xdp.ControlPlane.Etcd;

/// <summary>A granted lease: keys put with it are deleted when it expires or is revoked.</summary>
/// <param name="Id">The lease ID to pass to puts, keep-alives and revoke.</param>
/// <param name="Ttl">The time to live the server granted (it may raise a very short request to its minimum).</param>
public sealed record EtcdLease(long Id, TimeSpan Ttl);
