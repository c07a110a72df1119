using System.Text;

namespace Xdp.ControlPlane.Etcd;

/// <summary>
/// The keys a request covers, as etcd expresses them: one key, or the half-open interval [key, rangeEnd). A prefix is
/// the interval [prefix, prefix with its last byte incremented) (etcd's clientv3.GetPrefixRangeEnd).
/// </summary>
public readonly struct EtcdKeyRange
{
    /// <summary>range_end "\0" with key "\0": every key (etcd api_guarantees: key >= "\0").</summary>
    private static readonly byte[] AllKeys = [0];

    private EtcdKeyRange(byte[] key, byte[]? rangeEnd)
    {
        Key = key;
        RangeEnd = rangeEnd;
    }

    /// <summary>The first key (UTF-8).</summary>
    public byte[] Key { get; }

    /// <summary>The end of the interval, exclusive; null for a single key.</summary>
    public byte[]? RangeEnd { get; }

    public bool IsSingleKey => RangeEnd is null;

    /// <summary>Exactly <paramref name="key"/>.</summary>
    public static EtcdKeyRange Single(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return new EtcdKeyRange(Encoding.UTF8.GetBytes(key), null);
    }

    /// <summary>Every key starting with <paramref name="prefix"/>; an empty prefix is every key.</summary>
    public static EtcdKeyRange Prefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0)
        {
            return All;
        }

        byte[] key = Encoding.UTF8.GetBytes(prefix);
        return new EtcdKeyRange(key, PrefixEnd(key));
    }

    /// <summary>Every key in the store.</summary>
    public static EtcdKeyRange All => new(AllKeys, AllKeys);

    /// <summary>[<paramref name="from"/>, <paramref name="toExclusive"/>).</summary>
    public static EtcdKeyRange Interval(byte[] from, byte[] toExclusive)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(toExclusive);
        return new EtcdKeyRange(from, toExclusive);
    }

    /// <summary>
    /// The smallest key greater than every key with this prefix: the prefix with trailing 0xFF bytes dropped and the
    /// last remaining byte incremented; "\0" (no upper bound) when the prefix is all 0xFF.
    /// </summary>
    internal static byte[] PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        for (int i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] != 0xFF)
            {
                byte[] end = prefix[..(i + 1)].ToArray();
                end[i]++;
                return end;
            }
        }

        return [0];
    }

    public override string ToString() => RangeEnd is null
        ? Encoding.UTF8.GetString(Key)
        : $"[{Encoding.UTF8.GetString(Key)}, {Encoding.UTF8.GetString(RangeEnd)})";
}
