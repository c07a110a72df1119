namespace Xdp.ControlPlane.Etcd;

/// <summary>What one member reports about itself (Maintenance.Status).</summary>
/// <param name="Endpoint">The endpoint that answered.</param>
/// <param name="Version">The member's etcd version, e.g. "3.4.23".</param>
/// <param name="MemberId">The member's ID.</param>
/// <param name="LeaderId">The ID of the member it follows as leader (equal to MemberId on the leader; 0 without one).</param>
/// <param name="Revision">The store revision.</param>
public sealed record EtcdStatus(Uri Endpoint, string Version, ulong MemberId, ulong LeaderId, long Revision)
{
    public bool IsLeader => LeaderId != 0 && LeaderId == MemberId;
}
