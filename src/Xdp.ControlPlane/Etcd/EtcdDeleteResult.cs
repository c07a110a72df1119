namespace Xdp.ControlPlane.Etcd;

/// <summary>The outcome of a delete.</summary>
/// <param name="Revision">The store revision after the delete (unchanged when nothing was deleted).</param>
/// <param name="Deleted">How many keys were deleted.</param>
public sealed record EtcdDeleteResult(long Revision, long Deleted);
