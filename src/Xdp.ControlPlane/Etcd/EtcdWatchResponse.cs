namespace Xdp.ControlPlane.Etcd;

/// <summary>
/// One message of a watch stream: the confirmation that the watch exists (<see cref="IsCreated"/>), a batch of
/// events in revision order (all changes of one revision arrive in the same batch), or a progress notification (no
/// events: nothing changed up to <see cref="Revision"/>).
/// </summary>
public sealed class EtcdWatchResponse
{
    internal EtcdWatchResponse(long revision, bool isCreated, IReadOnlyList<EtcdWatchEvent> events, long nextRevision)
    {
        Revision = revision;
        IsCreated = isCreated;
        Events = events;
        NextRevision = nextRevision;
    }

    /// <summary>The store revision when the message was sent.</summary>
    public long Revision { get; }

    /// <summary>True for the first message, which confirms the watch and carries no events.</summary>
    public bool IsCreated { get; }

    /// <summary>True for a progress notification: no events, every change up to <see cref="Revision"/> delivered.</summary>
    public bool IsProgressNotify => !IsCreated && Events.Count == 0;

    public IReadOnlyList<EtcdWatchEvent> Events { get; }

    /// <summary>
    /// The start revision a new watch must use to continue after this message with no change missed or repeated:
    /// the last event's revision + 1; after a progress notification, its revision + 1.
    /// </summary>
    public long NextRevision { get; }
}
