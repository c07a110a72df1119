namespace Xdp.ControlPlane.Etcd;

public enum EtcdEventType
{
    Put,
    Delete,
}

/// <summary>One change seen by a watch (mvccpb.Event).</summary>
/// <param name="Type">PUT (created or modified) or DELETE (deleted or expired with its lease).</param>
/// <param name="Kv">The key after the change; for a DELETE only the key and ModRevision (the deletion's revision).</param>
/// <param name="PrevKv">The key before the change, when the watch asked for it and it existed.</param>
public sealed record EtcdWatchEvent(EtcdEventType Type, EtcdKeyValue Kv, EtcdKeyValue? PrevKv);
