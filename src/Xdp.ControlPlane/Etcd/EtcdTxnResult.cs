namespace Xdp.ControlPlane.Etcd;

/// <summary>The outcome of a transaction.</summary>
/// <param name="Succeeded">True when every comparison held and the Then branch ran.</param>
/// <param name="Revision">The store revision after the transaction.</param>
/// <param name="Results">One result per operation of the branch that ran, in order.</param>
public sealed record EtcdTxnResult(bool Succeeded, long Revision, IReadOnlyList<EtcdTxnOpResult> Results);

public enum EtcdTxnOpKind
{
    Range,
    Put,
    Delete,
}

/// <summary>The result of one operation inside a transaction.</summary>
/// <param name="Kind">Which operation it was.</param>
/// <param name="Kvs">For a range: the keys read; otherwise empty.</param>
/// <param name="Deleted">For a delete: how many keys it deleted; otherwise 0.</param>
public sealed record EtcdTxnOpResult(EtcdTxnOpKind Kind, IReadOnlyList<EtcdKeyValue> Kvs, long Deleted);
