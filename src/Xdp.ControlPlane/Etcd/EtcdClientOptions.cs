using System.Net.Sockets;

namespace Xdp.ControlPlane.Etcd;

/// <summary>Timeouts and the socket hook of an <see cref="EtcdClient"/>.</summary>
public sealed class EtcdClientOptions
{
    /// <summary>How long one endpoint may take to accept a TCP connection before the next is tried.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one request to one endpoint may take (for a watch: until the stream's headers arrive).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a watch stream may stay silent before the client checks it (<see cref="EtcdClient.WatchAsync"/>): a
    /// stream can stall with its TCP connection alive (etcd frozen, a gateway stream stuck, a path that drops
    /// packets without a reset), and etcd's progress notifications, which would show it, come only every 10 minutes
    /// by default (<c>--experimental-watch-progress-notify-interval</c>). <see cref="Timeout.InfiniteTimeSpan"/>
    /// turns the check off.
    /// </summary>
    public TimeSpan WatchCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Creates the (unconnected) TCP socket for a new connection; null for a default dual-mode socket. Tests use it to
    /// create the socket inside a network namespace: a socket stays in the namespace it was created in.
    /// </summary>
    public Func<Socket>? CreateSocket { get; init; }
}
