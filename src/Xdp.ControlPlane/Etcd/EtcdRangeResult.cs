namespace Xdp.ControlPlane.Etcd;

/// <summary>The keys of a range read and the store revision it was served at.</summary>
/// <param name="Revision">The revision the read saw (the header revision, or the requested one).</param>
/// <param name="Kvs">The keys in order, at most the requested limit.</param>
/// <param name="More">True when a limit cut the result short.</param>
/// <param name="Count">How many keys the range holds in total.</param>
public sealed record EtcdRangeResult(long Revision, IReadOnlyList<EtcdKeyValue> Kvs, bool More, long Count);
