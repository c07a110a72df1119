using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace XdpNet.Stats;

/// <summary>Reads one snapshot from a running instance's stats socket.</summary>
public static class StatsClient
{
    private const int MaxResponseBytes = 16 << 20;

    /// <summary>The raw JSON line the server sent (without the newline).</summary>
    /// <exception cref="IOException">Cannot connect, the server closed without answering, or it reported an error.</exception>
    /// <param name="request">What to ask for: <see cref="StatsServer.StatsRequest"/> or <see cref="StatsServer.ConntrackRequest"/>.</param>
    public static string FetchJson(string socketPath, TimeSpan? timeout = null, string request = StatsServer.StatsRequest)
    {
        var text = Request(socketPath, request, timeout);
        if (text.StartsWith("{\"error\":", StringComparison.Ordinal) || text.StartsWith("{\"ok\":false", StringComparison.Ordinal))
            throw new IOException($"{socketPath} reported: {text}");
        return text;
    }

    /// <summary>Sends one request line and returns the answer line as it came (errors included).</summary>
    /// <exception cref="IOException">Cannot connect, or the server closed without answering.</exception>
    public static string Request(string socketPath, string request, TimeSpan? timeout = null)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var ms = (int)(timeout ?? TimeSpan.FromSeconds(5)).TotalMilliseconds;
        socket.ReceiveTimeout = ms;
        socket.SendTimeout = ms;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException e)
        {
            throw new IOException($"cannot connect to {socketPath}: {e.Message} (is xdpnet running?)", e);
        }
        try
        {
            socket.Send(Encoding.UTF8.GetBytes(request + "\n"));
        }
        catch (SocketException e)
        {
            throw new IOException($"writing to {socketPath}: {e.Message}", e);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = socket.Receive(chunk);
                if (n == 0) break;
                buffer.Write(chunk, 0, n);
                if (buffer.Length > MaxResponseBytes) throw new IOException($"{socketPath} sent more than {MaxResponseBytes} bytes");
            }
        }
        catch (SocketException e)
        {
            throw new IOException($"reading from {socketPath}: {e.Message}", e);
        }

        var text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).TrimEnd('\n');
        if (text.Length == 0) throw new IOException($"{socketPath} closed the connection without answering");
        return text;
    }

    /// <exception cref="IOException">As <see cref="FetchJson"/>, or the answer is not a snapshot.</exception>
    public static StatsSnapshot Fetch(string socketPath, TimeSpan? timeout = null)
    {
        var json = FetchJson(socketPath, timeout);
        try
        {
            return JsonSerializer.Deserialize(json, StatsJsonContext.Default.StatsSnapshot)
                ?? throw new IOException($"{socketPath} sent null");
        }
        catch (JsonException e)
        {
            throw new IOException($"{socketPath} sent something that is not a stats snapshot: {e.Message}", e);
        }
    }

    /// <summary>The connection-tracking table of a running instance.</summary>
    /// <exception cref="IOException">As <see cref="FetchJson"/>, or the answer is not a conntrack listing.</exception>
    public static ConntrackSnapshot FetchConntrack(string socketPath, TimeSpan? timeout = null)
    {
        var json = FetchJson(socketPath, timeout, StatsServer.ConntrackRequest);
        try
        {
            return JsonSerializer.Deserialize(json, StatsJsonContext.Default.ConntrackSnapshot)
                ?? throw new IOException($"{socketPath} sent null");
        }
        catch (JsonException e)
        {
            throw new IOException($"{socketPath} sent something that is not a conntrack listing: {e.Message}", e);
        }
    }

    /// <summary>
    /// The socket to use: <paramref name="socketPath"/> if given; else the node's default path; else the only
    /// <c>*.sock</c> in <paramref name="directory"/>. Null with a reason when none can be chosen.
    /// </summary>
    public static string? ChooseSocket(string? socketPath, string? node, out string problem, string directory = StatsServer.DefaultDirectory)
    {
        problem = "";
        if (!string.IsNullOrEmpty(socketPath)) return socketPath;
        if (!string.IsNullOrEmpty(node)) return Path.Combine(directory, node + ".sock");
        var sockets = Directory.Exists(directory) ? Directory.GetFiles(directory, "*.sock") : [];
        if (sockets.Length == 1) return sockets[0];
        problem = sockets.Length == 0
            ? $"no xdpnet instance found in {directory} (start one with `xdpnet run`, or give --socket)"
            : $"several instances in {directory} ({string.Join(", ", sockets.Select(Path.GetFileNameWithoutExtension))}); choose one with --node";
        return null;
    }
}
