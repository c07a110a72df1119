using System.Text;
using Xdp.ControlPlane.Etcd.Gateway;

namespace Xdp.ControlPlane.Etcd;

/// <summary>A key and its value at one revision (mvccpb.KeyValue).</summary>
public sealed class EtcdKeyValue
{
    public EtcdKeyValue(string key, ReadOnlyMemory<byte> value, long createRevision, long modRevision, long version, long lease)
    {
        Key = key;
        Value = value;
        CreateRevision = createRevision;
        ModRevision = modRevision;
        Version = version;
        Lease = lease;
    }

    /// <summary>The key, decoded as UTF-8.</summary>
    public string Key { get; }

    /// <summary>The value; empty for a DELETE event's key.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>Revision of the last creation of this key.</summary>
    public long CreateRevision { get; }

    /// <summary>Revision of the last modification (for a DELETE event: the deletion's revision).</summary>
    public long ModRevision { get; }

    /// <summary>Number of modifications since creation; 0 for a deleted key.</summary>
    public long Version { get; }

    /// <summary>The lease the key is attached to; 0 for none.</summary>
    public long Lease { get; }

    /// <summary>The value decoded as UTF-8.</summary>
    public string ValueAsString() => Encoding.UTF8.GetString(Value.Span);

    public override string ToString() => $"{Key}@{ModRevision}";

    internal static EtcdKeyValue From(KeyValueMessage message) => new(
        message.Key is null ? string.Empty : Encoding.UTF8.GetString(message.Key),
        message.Value ?? [],
        message.CreateRevision,
        message.ModRevision,
        message.Version,
        message.Lease);

    internal static IReadOnlyList<EtcdKeyValue> FromList(List<KeyValueMessage>? messages)
    {
        if (messages is null || messages.Count == 0)
        {
            return [];
        }

        var result = new EtcdKeyValue[messages.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = From(messages[i]);
        }

        return result;
    }
}
