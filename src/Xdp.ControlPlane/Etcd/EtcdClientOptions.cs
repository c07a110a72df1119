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
    /// Creates the (unconnected) TCP socket for a new connection; null for a default dual-mode socket. Tests use it to
    /// create the socket inside a network namespace: a socket stays in the namespace it was created in.
    /// </summary>
    public Func<Socket>? CreateSocket { get; init; }
}
