using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace XdpNet.Stats;

/// <summary>
/// Serves counters on a Unix domain stream socket: every connection gets one JSON line (a <see cref="StatsSnapshot"/>)
/// and is closed. Off the hot path: the snapshot callback reads counters the worker writes without locks.
/// </summary>
public sealed class StatsServer : IDisposable
{
    public const string DefaultDirectory = "/run/xdpnet";
    /// <summary>Request line for the counters (also what a connection that sends nothing within 200 ms gets).</summary>
    public const string StatsRequest = "stats";
    /// <summary>Request line for the connection-tracking table.</summary>
    public const string ConntrackRequest = "conntrack";
    /// <summary>First word of the endpoint API's request lines (<c>endpoint add|del|list|get [JSON]</c>).</summary>
    public const string EndpointRequest = "endpoint";
    /// <summary>Longest request line read (an endpoint with its addresses and labels is far below it).</summary>
    public const int MaxRequestBytes = 64 * 1024;

    private readonly Socket _listener;
    private readonly Func<StatsSnapshot> _snapshot;
    private readonly Func<ConntrackSnapshot>? _conntrack;
    private readonly Func<string, string>? _endpoints;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _disposed;

    /// <param name="socketPath">Where to listen; the directory is created, a stale socket file (nobody listening) removed.</param>
    /// <param name="snapshot">Called once per connection, on a thread-pool thread.</param>
    /// <exception cref="IOException">Another process is already serving on <paramref name="socketPath"/>, or it cannot be bound.</exception>
    /// <param name="conntrack">The connection-tracking listing; null when the instance tracks no connections.</param>
    /// <param name="endpoints">Answers an <c>endpoint ...</c> line with one JSON line; null when the instance takes none.</param>
    public StatsServer(string socketPath, Func<StatsSnapshot> snapshot, Func<ConntrackSnapshot>? conntrack = null, Func<string, string>? endpoints = null)
    {
        SocketPath = socketPath;
        _snapshot = snapshot;
        _conntrack = conntrack;
        _endpoints = endpoints;
        var directory = Path.GetDirectoryName(socketPath);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        RemoveStaleSocket(socketPath);

        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            // Room for a burst of CNI ADDs (a node starting many pods at once); they are answered one at a time.
            _listener.Listen(128);
        }
        catch (SocketException e)
        {
            _listener.Dispose();
            throw new IOException($"cannot listen on {socketPath}: {e.Message}", e);
        }
        _acceptLoop = Task.Run(AcceptLoop);
    }

    public string SocketPath { get; }

    /// <summary>The socket for a node when the configuration names none: <c>/run/xdpnet/&lt;node&gt;.sock</c>.</summary>
    public static string DefaultSocketPath(string node) => Path.Combine(DefaultDirectory, node + ".sock");

    private static void RemoveStaleSocket(string socketPath)
    {
        if (!File.Exists(socketPath)) return;
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(socketPath));
                throw new IOException($"{socketPath} is in use by a running instance");
            }
            catch (SocketException)
            {
                // Nobody listening: left behind by a process that did not shut down cleanly.
            }
        }
        File.Delete(socketPath);
    }

    private async Task AcceptLoop()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (token.IsCancellationRequested) return;
                continue;
            }
            _ = Task.Run(() => Answer(client), CancellationToken.None);
        }
    }

    private void Answer(Socket client)
    {
        using (client)
        {
            try
            {
                var request = ReadRequest(client);
                byte[] json;
                if (request == EndpointRequest || request.StartsWith(EndpointRequest + " ", StringComparison.Ordinal))
                {
                    json = Encoding.UTF8.GetBytes(_endpoints?.Invoke(request)
                        ?? """{"ok":false,"error":"request: this instance takes no endpoint requests (live reload is off)"}""");
                }
                else if (request == ConntrackRequest)
                {
                    var listing = _conntrack?.Invoke() ?? throw new InvalidOperationException("this instance tracks no connections (no Policy:Files configured)");
                    json = JsonSerializer.SerializeToUtf8Bytes(listing, StatsJsonContext.Default.ConntrackSnapshot);
                }
                else
                {
                    if (request != StatsRequest) throw new InvalidOperationException($"unknown request '{request}' (expected {StatsRequest} or {ConntrackRequest})");
                    json = JsonSerializer.SerializeToUtf8Bytes(_snapshot(), StatsJsonContext.Default.StatsSnapshot);
                }
                client.Send(json);
                client.Send("\n"u8);
                client.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The client went away; nothing to report.
            }
#pragma warning disable CA1031 // A failing snapshot must not take the data plane down; the client sees a closed connection.
            catch (Exception e)
#pragma warning restore CA1031
            {
                try
                {
                    // The endpoint API's error shape; the stats client recognises it too.
                    client.Send(Encoding.UTF8.GetBytes($"{{\"ok\":false,\"error\":{JsonSerializer.Serialize(e.Message, StatsErrorJsonContext.Default.String)}}}\n"));
                }
                catch (SocketException)
                {
                }
            }
        }
    }

    /// <summary>The client's request line; a client that sends nothing within 200 ms gets the counters.</summary>
    /// <exception cref="InvalidOperationException">The line is longer than <see cref="MaxRequestBytes"/> or not UTF-8.</exception>
    private static string ReadRequest(Socket client)
    {
        if (!client.Poll(200_000, SelectMode.SelectRead)) return StatsRequest;
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        client.ReceiveTimeout = 1000;
        while (length < buffer.Length)
        {
            var n = client.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
            if (n == 0) break;
            length += n;
            if (Array.IndexOf(buffer, (byte)'\n', length - n, n) >= 0) break;
        }
        var end = Array.IndexOf(buffer, (byte)'\n', 0, length);
        if (end < 0 && length == buffer.Length) throw new InvalidOperationException($"request line longer than {MaxRequestBytes} bytes");
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, end < 0 ? length : end).Trim();
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidOperationException("request line is not UTF-8");
        }
        return text.Length == 0 ? StatsRequest : text;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            _acceptLoop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class StatsErrorJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
