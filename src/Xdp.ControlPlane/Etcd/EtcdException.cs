namespace Xdp.ControlPlane.Etcd;

/// <summary>etcd answered with an error (its gRPC status code and message).</summary>
public class EtcdException : Exception
{
    public EtcdException(string message, int grpcCode = 0, Exception? innerException = null)
        : base(message, innerException)
    {
        GrpcCode = grpcCode;
    }

    /// <summary>The gRPC status code etcd returned (5 NotFound, 9 FailedPrecondition, 11 OutOfRange, 14 Unavailable...); 0 when none.</summary>
    public int GrpcCode { get; }
}

/// <summary>
/// No endpoint answered: every one refused, timed out or reported itself unavailable. The data plane keeps its last
/// state and retries; a watcher resumes from its next revision.
/// </summary>
public sealed class EtcdUnavailableException : EtcdException
{
    public EtcdUnavailableException(string message, IReadOnlyList<Uri> endpointsTried, Exception? innerException = null)
        : base(message, 14, innerException)
    {
        EndpointsTried = endpointsTried;
    }

    /// <summary>The endpoints tried, in order.</summary>
    public IReadOnlyList<Uri> EndpointsTried { get; }
}

/// <summary>
/// The requested revision is older than the store's compaction point: the events in between are gone. The caller
/// resynchronises from a fresh snapshot (a range read) and watches from that snapshot's revision + 1.
/// </summary>
public sealed class EtcdCompactedException : EtcdException
{
    public EtcdCompactedException(long compactRevision, long requestedRevision)
        : base(compactRevision > 0
            ? $"etcd revision {requestedRevision} was compacted (compacted up to {compactRevision}); resynchronise from a fresh snapshot."
            : $"etcd revision {requestedRevision} was compacted; resynchronise from a fresh snapshot.", 11)
    {
        CompactRevision = compactRevision;
        RequestedRevision = requestedRevision;
    }

    /// <summary>The compaction revision etcd reported (a watch reports it; a range read does not: 0).</summary>
    public long CompactRevision { get; }

    /// <summary>The revision the request asked for.</summary>
    public long RequestedRevision { get; }
}

/// <summary>The lease does not exist (it expired or was revoked): keys attached to it are gone.</summary>
public sealed class EtcdLeaseNotFoundException : EtcdException
{
    public EtcdLeaseNotFoundException(long leaseId)
        : base($"etcd lease {leaseId:x} not found (expired or revoked).", 5)
    {
        LeaseId = leaseId;
    }

    public long LeaseId { get; }
}
