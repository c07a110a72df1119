using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Control;

/// <summary>The control socket is not there or nobody listens: xdpnet is not running on this host.</summary>
internal sealed class ControlUnavailableException : Exception
{
    public ControlUnavailableException()
    {
    }

    public ControlUnavailableException(string message) : base(message)
    {
    }

    public ControlUnavailableException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>One endpoint as the plugin registers it with xdpnet.</summary>
internal sealed record EndpointRegistration(string Name, string Interface, string Mac, IReadOnlyList<string> Addresses, IReadOnlyDictionary<string, string> Labels, int? Vni);

/// <summary>
/// xdpnet's control socket (the stats socket, <c>/run/xdpnet/&lt;node&gt;.sock</c>): one request line
/// (<c>endpoint add|del|get {json}</c>), one JSON answer line <c>{"ok":true,...}</c> or
/// <c>{"ok":false,"error":"key: problem"}</c>, then the server closes.
/// </summary>
internal sealed class ControlClient(string socketPath, TimeSpan timeout)
{
    public string SocketPath { get; } = socketPath;

    /// <exception cref="ControlUnavailableException">Nobody listens on the socket.</exception>
    /// <exception cref="CniException">Code 102: xdpnet answered ok:false, or something that is not an answer.</exception>
    public void Add(EndpointRegistration endpoint) => Expect(Request("endpoint add " + EndpointJson(endpoint)), "endpoint add");

    /// <summary>True when it was registered, false when xdpnet did not know it.</summary>
    public bool Delete(string name)
    {
        using var answer = Request("endpoint del " + NameJson(name));
        Expect(answer, "endpoint del");
        return !(answer.RootElement.TryGetProperty("absent", out var absent) && absent.ValueKind == JsonValueKind.True);
    }

    /// <summary>The registered endpoint (the "endpoint" object of the answer), or null when xdpnet does not know it.</summary>
    public JsonDocument? Get(string name)
    {
        var answer = Request("endpoint get " + NameJson(name));
        var root = answer.RootElement;
        if (root.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True && root.TryGetProperty("endpoint", out var endpoint))
        {
            var copy = JsonDocument.Parse(endpoint.GetRawText());
            answer.Dispose();
            return copy;
        }
        answer.Dispose();
        return null;
    }

    private static void Expect(JsonDocument answer, string request)
    {
        var root = answer.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True) return;
        var error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String
            ? e.GetString()!
            : root.GetRawText();
        throw new CniException(CniErrorCode.RegistrationFailure, $"xdpnet refused '{request}': {error}", error);
    }

    public static string EndpointJson(EndpointRegistration endpoint)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, CniJson.CompactOptions))
        {
            w.WriteStartObject();
            w.WriteString("name", endpoint.Name);
            w.WriteString("interface", endpoint.Interface);
            w.WriteString("mac", endpoint.Mac);
            w.WriteStartArray("addresses");
            foreach (var a in endpoint.Addresses) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteStartArray("labels");
            foreach (var (k, v) in endpoint.Labels) w.WriteStringValue(k + "=" + v);
            w.WriteEndArray();
            if (endpoint.Vni is int vni) w.WriteNumber("vni", vni);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string NameJson(string name)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, CniJson.CompactOptions))
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private JsonDocument Request(string line)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var ms = (int)timeout.TotalMilliseconds;
        socket.ReceiveTimeout = ms;
        socket.SendTimeout = ms;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
        }
        catch (SocketException e)
        {
            throw new ControlUnavailableException($"cannot connect to {SocketPath}: {e.Message} (is xdpnet running?)", e);
        }

        using var buffer = new MemoryStream();
        try
        {
            socket.Send(Encoding.UTF8.GetBytes(line + "\n"));
            var chunk = new byte[16 * 1024];
            while (true)
            {
                var n = socket.Receive(chunk);
                if (n == 0) break;
                buffer.Write(chunk, 0, n);
                if (Array.IndexOf(chunk, (byte)'\n', 0, n) >= 0) break;
                if (buffer.Length > 4 << 20) break;
            }
        }
        catch (SocketException e)
        {
            throw new CniException(e.SocketErrorCode == SocketError.TimedOut ? CniErrorCode.TryAgainLater : CniErrorCode.RegistrationFailure,
                $"{SocketPath}: {e.Message} during '{line.Split(' ', 3)[0]} {line.Split(' ', 3)[1]}'", SocketPath, e);
        }
        var text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).Trim();
        try
        {
            if (text.Length == 0) throw new JsonException("empty answer");
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw new CniException(CniErrorCode.RegistrationFailure, $"{SocketPath} answered something that is not JSON: '{Truncate(text)}'", SocketPath);
        }
    }

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "...";
}
