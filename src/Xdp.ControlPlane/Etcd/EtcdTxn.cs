using System.Text;
using Xdp.ControlPlane.Etcd.Gateway;

namespace Xdp.ControlPlane.Etcd;

/// <summary>
/// An etcd transaction: if every comparison holds, the Then operations run, otherwise the Else operations; both
/// atomically at one revision. Comparisons cover the atomic-update idioms: create-if-absent
/// (<see cref="IfAbsent"/>) and compare-and-swap on the revision a value was read at (<see cref="IfModRevision"/>).
/// </summary>
public sealed class EtcdTxn
{
    private readonly List<CompareMessage> _compares = [];
    private readonly List<RequestOp> _success = [];
    private readonly List<RequestOp> _failure = [];

    /// <summary>The key was last modified at <paramref name="modRevision"/> (0: the key does not exist).</summary>
    public EtcdTxn IfModRevision(string key, long modRevision) => Compare(key, "MOD", c => c.ModRevision = modRevision);

    /// <summary>The key was created at <paramref name="createRevision"/> (0: the key does not exist).</summary>
    public EtcdTxn IfCreateRevision(string key, long createRevision) => Compare(key, "CREATE", c => c.CreateRevision = createRevision);

    /// <summary>The key does not exist.</summary>
    public EtcdTxn IfAbsent(string key) => IfCreateRevision(key, 0);

    /// <summary>The key has been modified <paramref name="version"/> times since its creation (0: absent).</summary>
    public EtcdTxn IfVersion(string key, long version) => Compare(key, "VERSION", c => c.Version = version);

    /// <summary>The key holds exactly <paramref name="value"/>.</summary>
    public EtcdTxn IfValue(string key, ReadOnlySpan<byte> value)
    {
        byte[] copy = value.ToArray();
        return Compare(key, "VALUE", c => c.Value = copy);
    }

    public EtcdTxn ThenPut(string key, ReadOnlySpan<byte> value, long lease = 0) => Add(_success, Put(key, value, lease));

    public EtcdTxn ThenPut(string key, string value, long lease = 0) => ThenPut(key, Encoding.UTF8.GetBytes(value), lease);

    public EtcdTxn ThenDelete(EtcdKeyRange range) => Add(_success, Delete(range));

    public EtcdTxn ThenRange(EtcdKeyRange range) => Add(_success, Range(range));

    public EtcdTxn ElsePut(string key, ReadOnlySpan<byte> value, long lease = 0) => Add(_failure, Put(key, value, lease));

    public EtcdTxn ElsePut(string key, string value, long lease = 0) => ElsePut(key, Encoding.UTF8.GetBytes(value), lease);

    public EtcdTxn ElseDelete(EtcdKeyRange range) => Add(_failure, Delete(range));

    /// <summary>Reads <paramref name="range"/> when a comparison fails, e.g. to learn the value that won a race.</summary>
    public EtcdTxn ElseRange(EtcdKeyRange range) => Add(_failure, Range(range));

    internal TxnRequest ToRequest() => new()
    {
        Compare = _compares.Count > 0 ? _compares : null,
        Success = _success.Count > 0 ? _success : null,
        Failure = _failure.Count > 0 ? _failure : null,
    };

    private EtcdTxn Compare(string key, string target, Action<CompareMessage> setTarget)
    {
        var compare = new CompareMessage { Result = "EQUAL", Target = target, Key = EtcdKeyRange.Single(key).Key };
        setTarget(compare);
        _compares.Add(compare);
        return this;
    }

    private EtcdTxn Add(List<RequestOp> list, RequestOp op)
    {
        list.Add(op);
        return this;
    }

    private static RequestOp Put(string key, ReadOnlySpan<byte> value, long lease) =>
        new() { RequestPut = new PutRequest { Key = EtcdKeyRange.Single(key).Key, Value = value.ToArray(), Lease = lease } };

    private static RequestOp Delete(EtcdKeyRange range) =>
        new() { RequestDeleteRange = new DeleteRangeRequest { Key = range.Key, RangeEnd = range.RangeEnd } };

    private static RequestOp Range(EtcdKeyRange range) =>
        new() { RequestRange = new RangeRequest { Key = range.Key, RangeEnd = range.RangeEnd } };
}
