// Why this client is hand-written: no .NET etcd client is served by the package feed this project builds from, and
// etcd itself documents a JSON API for every v3 RPC: the gRPC gateway (grpc-gateway, "etcd v3 API: gRPC gateway",
// etcd.io/docs/v3.4/dev-guide/api_grpc_gateway/), served on the client port under /v3/ (3.4 also answers /v3beta/;
// 3.5 only /v3/). Each RPC is a POST of the request message as JSON; server-streaming RPCs (Watch, LeaseKeepAlive)
// answer with newline-delimited {"result": ...} objects on a chunked response. So HttpClient and source-generated
// System.Text.Json cover what XdpNet needs (KV, Txn, Watch, Lease) in a small component with no gRPC stack.

using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Xdp.ControlPlane.Etcd.Gateway;

namespace Xdp.ControlPlane.Etcd;

/// <summary>
/// A client of etcd's v3 API over its JSON gateway. Requests go to the endpoint that last answered; when it cannot be
/// reached the next one is tried (a cluster's members all serve the same data). Thread-safe.
/// </summary>
public sealed partial class EtcdClient : IDisposable
{
    private const string JsonMediaType = "application/json";
    private readonly Uri[] _endpoints;
    private readonly HttpClient _http;
    private readonly EtcdClientOptions _options;
    private int _current;
    private long _stalledWatches;

    /// <param name="endpoints">Client URLs of the cluster's members, e.g. http://198.18.0.1:2379.</param>
    /// <param name="options">Timeouts and socket hook; defaults when null.</param>
    public EtcdClient(IEnumerable<Uri> endpoints, EtcdClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        _endpoints = [.. endpoints];
        if (_endpoints.Length == 0)
        {
            throw new ArgumentException("At least one etcd endpoint is required.", nameof(endpoints));
        }

        foreach (var endpoint in _endpoints)
        {
            if (!endpoint.IsAbsoluteUri || endpoint.Scheme != Uri.UriSchemeHttp)
            {
                throw new ArgumentException($"etcd endpoint '{endpoint}' must be an absolute http:// URL.", nameof(endpoints));
            }
        }

        _options = options ?? new EtcdClientOptions();
        if (_options.WatchCheckInterval <= TimeSpan.Zero && _options.WatchCheckInterval != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException($"WatchCheckInterval must be positive or infinite, not {_options.WatchCheckInterval}.", nameof(options));
        }

        var handler = new SocketsHttpHandler
        {
            ConnectCallback = ConnectAsync,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
            AllowAutoRedirect = false,
        };

        // Timeouts are per attempt (RequestTimeout) so that one dead endpoint cannot use up the whole budget; a
        // watch stream has none once its headers arrived.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The configured endpoints, in the order given.</summary>
    public IReadOnlyList<Uri> Endpoints => _endpoints;

    /// <summary>The endpoint requests go to first: the one that last answered.</summary>
    public Uri CurrentEndpoint => _endpoints[Volatile.Read(ref _current)];

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Connects with a bounded wait so that a silent endpoint (SYNs dropped) fails over like a refusing one. A timeout
    /// is raised as a SocketException so HttpClient reports it as a connection error (request not sent).
    /// </summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = _options.CreateSocket?.Invoke() ?? new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SocketException((int)SocketError.TimedOut);
            }

            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A unary RPC: POST the request, read one JSON response, with failover.</summary>
    /// <param name="idempotent">
    /// Whether the call may be repeated on another endpoint when the first may have received it (a timeout or reset
    /// after sending). A refused or timed-out connection never delivered the request and always fails over.
    /// </param>
    private async Task<TResponse> CallAsync<TRequest, TResponse>(
        string path,
        TRequest request,
        JsonTypeInfo<TRequest> requestInfo,
        JsonTypeInfo<TResponse> responseInfo,
        bool idempotent,
        CancellationToken cancellationToken)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(request, requestInfo);
        using var response = await SendAsync(path, body, HttpCompletionOption.ResponseContentRead, idempotent, cancellationToken).ConfigureAwait(false);
        byte[] content = await response.Message.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return Deserialize(content, responseInfo, path);
    }

    /// <summary>
    /// Sends to the current endpoint, then to the others in order, until one answers with a status that is not
    /// "unavailable". Error statuses other than that are thrown as <see cref="EtcdException"/>.
    /// </summary>
    private async Task<GatewayResponse> SendAsync(
        string path, byte[] body, HttpCompletionOption completion, bool idempotent, CancellationToken cancellationToken)
    {
        int start = Volatile.Read(ref _current);
        var tried = new List<Uri>(_endpoints.Length);
        var failures = new List<Exception>(_endpoints.Length);
        for (int attempt = 0; attempt < _endpoints.Length; attempt++)
        {
            int index = (start + attempt) % _endpoints.Length;
            Uri endpoint = _endpoints[index];
            tried.Add(endpoint);
            var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            HttpResponseMessage? message = null;
            bool mayHaveArrived;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, path))
                {
                    Content = new ByteArrayContent(body),
                };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(JsonMediaType);
                message = await _http.SendAsync(request, completion, timeout.Token).ConfigureAwait(false);
                if (message.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    // gRPC Unavailable: no leader, or the member is stopping. The request may have been proposed.
                    var error = await ReadErrorAsync(message, path, timeout.Token).ConfigureAwait(false);
                    throw new EtcdUnavailableException($"{endpoint}: {error.Message}", [endpoint], error);
                }

                if (!message.IsSuccessStatusCode)
                {
                    throw await ReadErrorAsync(message, path, timeout.Token).ConfigureAwait(false);
                }

                Volatile.Write(ref _current, index);
                var result = new GatewayResponse(message, timeout, endpoint);
                message = null;
                timeout = null;
                return result;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
            {
                failures.Add(new EtcdException($"{endpoint}: cannot connect ({Describe(e)})", 14, e));
                mayHaveArrived = false;
            }
            catch (OperationCanceledException e)
            {
                failures.Add(new EtcdException($"{endpoint}: no answer within {_options.RequestTimeout.TotalSeconds:0.###} s", 14, e));
                mayHaveArrived = true;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or EtcdUnavailableException)
            {
                failures.Add(e is EtcdUnavailableException ? e : new EtcdException($"{endpoint}: {Describe(e)}", 14, e));
                mayHaveArrived = true;
            }
            finally
            {
                message?.Dispose();
                timeout?.Dispose();
            }

            if (mayHaveArrived && !idempotent)
            {
                throw new EtcdUnavailableException(
                    $"etcd request {path} failed at {endpoint} after it may have been received; not retried: {failures[^1].Message}",
                    tried,
                    failures[^1]);
            }
        }

        var summary = new StringBuilder("etcd unreachable: ");
        for (int i = 0; i < failures.Count; i++)
        {
            summary.Append(i == 0 ? string.Empty : "; ").Append(failures[i].Message);
        }

        throw new EtcdUnavailableException(summary.ToString(), tried, new AggregateException(failures));
    }

    private static async Task<EtcdException> ReadErrorAsync(HttpResponseMessage message, string path, CancellationToken cancellationToken)
    {
        byte[] content = await message.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        UnaryError? error = null;
        try
        {
            error = JsonSerializer.Deserialize(content, GatewayJsonContext.Default.UnaryError);
        }
        catch (JsonException)
        {
        }

        string text = error?.Message ?? error?.Error ?? Encoding.UTF8.GetString(content).Trim();
        return new EtcdException($"etcd {path}: {text} (HTTP {(int)message.StatusCode}, gRPC code {error?.Code ?? 0})", error?.Code ?? 0);
    }

    private static T Deserialize<T>(ReadOnlySpan<byte> content, JsonTypeInfo<T> info, string path)
    {
        try
        {
            return JsonSerializer.Deserialize(content, info)
                ?? throw new EtcdException($"etcd {path}: empty response.");
        }
        catch (JsonException e)
        {
            throw new EtcdException($"etcd {path}: malformed response ({e.Message}).", 0, e);
        }
    }

    private static string Describe(Exception e)
    {
        // The innermost message names the socket error ("Connection refused", "timed out").
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message;
    }

    private static long RevisionOf(ResponseHeader? header) => header?.Revision ?? 0;

    /// <summary>A successful response, its per-attempt timeout (disarmed by the caller for streams) and its endpoint.</summary>
    private sealed class GatewayResponse(HttpResponseMessage message, CancellationTokenSource timeout, Uri endpoint) : IDisposable
    {
        public HttpResponseMessage Message { get; } = message;

        public CancellationTokenSource Timeout { get; } = timeout;

        public Uri Endpoint { get; } = endpoint;

        public void Dispose()
        {
            Message.Dispose();
            Timeout.Dispose();
        }
    }
}
