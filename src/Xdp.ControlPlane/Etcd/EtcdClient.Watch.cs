using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Xdp.ControlPlane.Etcd.Gateway;

namespace Xdp.ControlPlane.Etcd;

// Watch service (rpc.proto service Watch; gateway path /v3/watch). The response is chunked, one JSON object per line:
//   {"result":{"header":{...,"revision":"6"},"created":true}}                       first, confirms the watch
//   {"result":{"header":{...},"events":[{"kv":{...}},{"type":"DELETE","kv":{...}}]}} changes (PUT has no "type")
//   {"result":{"header":{...,"revision":"9"}}}                                       progress notification
//   {"result":{"header":{...},"canceled":true,"compact_revision":"4"}}               start revision was compacted
//   {"error":{"grpc_code":14,"http_code":503,"message":"..."}}                       the RPC failed
// After "canceled" etcd keeps the HTTP response open; the client ends it.
public sealed partial class EtcdClient
{
    /// <summary>
    /// Watches <paramref name="range"/> from <paramref name="startRevision"/>: every change at or after it, in
    /// revision order, then live changes. The first message confirms the watch (<see cref="EtcdWatchResponse.IsCreated"/>).
    /// To resume after a failure, watch again from the last message's <see cref="EtcdWatchResponse.NextRevision"/>:
    /// nothing is missed or repeated.
    /// </summary>
    /// <param name="range">The keys to watch (a prefix for a whole subtree).</param>
    /// <param name="startRevision">The first revision to report; 0 for changes after now.</param>
    /// <param name="prevKv">Also report each key's previous value.</param>
    /// <param name="progressNotify">Ask etcd for periodic progress notifications while nothing changes.</param>
    /// <param name="cancellationToken">Ends the watch (the enumeration stops with OperationCanceledException).</param>
    /// <exception cref="EtcdCompactedException">The start revision was compacted: resynchronise from a snapshot.</exception>
    /// <exception cref="EtcdUnavailableException">No endpoint answered, or the stream broke (etcd stopped or the
    /// connection failed): resume from the last NextRevision.</exception>
    public async IAsyncEnumerable<EtcdWatchResponse> WatchAsync(
        EtcdKeyRange range,
        long startRevision = 0,
        bool prevKv = false,
        bool progressNotify = false,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startRevision);
        var request = new WatchRequest
        {
            CreateRequest = new WatchCreateRequest
            {
                Key = range.Key,
                RangeEnd = range.RangeEnd,
                StartRevision = startRevision,
                PrevKv = prevKv,
                ProgressNotify = progressNotify,
            },
        };
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(request, GatewayJsonContext.Default.WatchRequest);
        using var response = await SendAsync("/v3/watch", body, HttpCompletionOption.ResponseHeadersRead, idempotent: true, cancellationToken)
            .ConfigureAwait(false);

        // The request timeout bounded the wait for the stream to open; a watch then lasts as long as the caller wants.
        response.Timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        using var reader = await OpenStreamAsync(response, cancellationToken).ConfigureAwait(false);
        long next = startRevision;
        long verified = 0;
        Task<string>? read = null;
        while (true)
        {
            read ??= ReadStreamLineAsync(reader, response.Endpoint, cancellationToken);
            if (!await ArrivesWithinAsync(read, _options.WatchCheckInterval, cancellationToken).ConfigureAwait(false))
            {
                (string? stall, verified) = await CheckWatchAsync(range, next, verified, read, cancellationToken).ConfigureAwait(false);
                if (stall is null)
                {
                    continue;
                }

                Interlocked.Increment(ref _stalledWatches);
                ObserveAbandoned(read);
                throw new EtcdUnavailableException(
                    $"etcd watch stream from {response.Endpoint} stalled: no message for {_options.WatchCheckInterval.TotalSeconds:0.###} s and {stall}; watch again from revision {next}",
                    [response.Endpoint]);
            }

            string line = await read.ConfigureAwait(false);
            read = null;
            if (line.Length == 0)
            {
                continue;
            }

            var message = ParseWatchLine(line, startRevision, response.Endpoint);
            var events = ToEvents(message.Events);
            long revision = RevisionOf(message.Header);
            if (events.Count > 0)
            {
                next = events[^1].Kv.ModRevision + 1;
            }
            else if (!message.Created || startRevision == 0)
            {
                // A progress notification is only sent to a watcher that has caught up: every change up to the
                // header revision has been delivered. A watch from "now" starts after the created header revision.
                next = Math.Max(next, revision + 1);
            }

            yield return new EtcdWatchResponse(revision, message.Created, events, next);
        }
    }

    /// <summary>How many watch streams were found stalled and abandoned (<see cref="EtcdClientOptions.WatchCheckInterval"/>).</summary>
    public long StalledWatches => Interlocked.Read(ref _stalledWatches);

    /// <summary>Watches every key under <paramref name="prefix"/>; see <see cref="WatchAsync"/>.</summary>
    public IAsyncEnumerable<EtcdWatchResponse> WatchPrefixAsync(
        string prefix, long startRevision = 0, bool prevKv = false, bool progressNotify = false, CancellationToken cancellationToken = default) =>
        WatchAsync(EtcdKeyRange.Prefix(prefix), startRevision, prevKv, progressNotify, cancellationToken);

    /// <summary>Whether <paramref name="read"/> completes (successfully or not) within <paramref name="interval"/>.</summary>
    private static async Task<bool> ArrivesWithinAsync(Task<string> read, TimeSpan interval, CancellationToken cancellationToken)
    {
        if (read.IsCompleted || interval == Timeout.InfiniteTimeSpan)
        {
            return true;
        }

        try
        {
            await read.WaitAsync(interval, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (Exception) when (read.IsCompleted)
        {
            // The read's own failure is raised where it is awaited.
        }

        return true;
    }

    /// <summary>
    /// The watchdog of a silent stream. A healthy stream is silent when nothing under the watched range changed since
    /// <paramref name="next"/>. First a linearizable read of one key (O(1) for etcd, bounded by the request timeout)
    /// gives the store's revision R. It fails: etcd, or the path to it, is frozen (or the member lost its quorum), and
    /// the stream with it. R is below <paramref name="next"/>, or no later than <paramref name="verified"/> (a revision
    /// up to which an earlier check found nothing owed): all is well. Otherwise keys in the range put at or after
    /// <paramref name="next"/> (<c>min_mod_revision</c>), or a different key count than at <paramref name="next"/> − 1
    /// (deletions leave no key to find), are changes the stream owes; it gets a grace period to deliver them before it
    /// is given up. These two reads cost etcd a pass over the range, so they run once per store revision at most. A
    /// key put and deleted again in between escapes the check, and matters only once a later change is owed as well.
    /// Returns why the stream is not healthy (null if it is) and the revision verified so far.
    /// </summary>
    private async Task<(string? Stall, long Verified)> CheckWatchAsync(
        EtcdKeyRange range, long next, long verified, Task<string> read, CancellationToken cancellationToken)
    {
        long owed;
        long revision;
        try
        {
            // One key (the range's first): the answer's header carries the store revision, whatever the key holds.
            var probe = new RangeRequest { Key = range.Key, CountOnly = true };
            revision = RevisionOf((await CallAsync("/v3/kv/range", probe, GatewayJsonContext.Default.RangeRequest,
                GatewayJsonContext.Default.RangeResponse, idempotent: true, cancellationToken).ConfigureAwait(false)).Header);
            if (revision < next || revision <= verified)
            {
                return (null, verified);
            }

            owed = await CountAsync(range, revision, next, cancellationToken).ConfigureAwait(false) is (_, > 0) ? 1 : 0;
            if (owed == 0 && next > 1)
            {
                try
                {
                    var now = await CountAsync(range, revision, 0, cancellationToken).ConfigureAwait(false);
                    var then = await CountAsync(range, next - 1, 0, cancellationToken).ConfigureAwait(false);
                    owed = Math.Abs(then.Count - now.Count);
                }
                catch (EtcdCompactedException)
                {
                    // Deletions since a compacted revision cannot be counted: only puts are checked.
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is EtcdException or HttpRequestException or IOException or OperationCanceledException)
        {
            return ($"etcd did not answer a revision check ({e.Message})", verified);
        }

        if (owed == 0)
        {
            return (null, revision);
        }

        // The stream may be about to deliver them: events reach a caught-up watcher within milliseconds.
        var grace = _options.WatchCheckInterval / 2;
        return await ArrivesWithinAsync(read, grace, cancellationToken).ConfigureAwait(false)
            ? (null, verified)
            : ($"changes in the watched range since revision {next} were not delivered within {grace.TotalSeconds:0.###} s", verified);
    }

    /// <summary>
    /// How many keys <paramref name="range"/> holds at <paramref name="revision"/> (0: latest); with
    /// <paramref name="minModRevision"/>, whether any was modified at or after it (0 or 1). etcd computes a response's
    /// count before its <c>min_mod_revision</c> filter (etcdserver apply.go), so that case reads at most one key instead.
    /// </summary>
    private async Task<(long Revision, long Count)> CountAsync(EtcdKeyRange range, long revision, long minModRevision, CancellationToken cancellationToken)
    {
        var request = minModRevision == 0
            ? new RangeRequest { Key = range.Key, RangeEnd = range.RangeEnd, Revision = revision, CountOnly = true }
            : new RangeRequest { Key = range.Key, RangeEnd = range.RangeEnd, Revision = revision, KeysOnly = true, Limit = 1, MinModRevision = minModRevision };
        RangeResponse response;
        try
        {
            response = await CallAsync("/v3/kv/range", request, GatewayJsonContext.Default.RangeRequest,
                GatewayJsonContext.Default.RangeResponse, idempotent: true, cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdException e) when (IsCompacted(e))
        {
            throw new EtcdCompactedException(0, revision);
        }

        return (RevisionOf(response.Header), minModRevision == 0 ? response.Count : response.Kvs?.Count ?? 0);
    }

    /// <summary>A read left pending on a stream being given up fails when the stream is disposed: observe that.</summary>
    private static void ObserveAbandoned(Task<string> read) =>
        _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    private static async Task<StreamReader> OpenStreamAsync(GatewayResponse response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Message.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new EtcdUnavailableException($"etcd watch stream from {response.Endpoint} failed: {Describe(e)}", [response.Endpoint], e);
        }
    }

    private static async Task<string> ReadStreamLineAsync(StreamReader reader, Uri endpoint, CancellationToken cancellationToken)
    {
        string? line;
        try
        {
            line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new EtcdUnavailableException($"etcd watch stream from {endpoint} broke: {Describe(e)}", [endpoint], e);
        }

        return line ?? throw new EtcdUnavailableException($"etcd watch stream from {endpoint} ended.", [endpoint]);
    }

    private static WatchResponse ParseWatchLine(string line, long startRevision, Uri endpoint)
    {
        var parsed = Deserialize(Encoding.UTF8.GetBytes(line), GatewayJsonContext.Default.WatchStreamLine, "/v3/watch");
        if (parsed.Error is { } error)
        {
            string text = $"etcd watch at {endpoint} failed: {error.Message} (gRPC code {error.GrpcCode})";
            throw error.GrpcCode == 14 ? new EtcdUnavailableException(text, [endpoint]) : new EtcdException(text, error.GrpcCode);
        }

        var message = parsed.Result ?? throw new EtcdException($"etcd watch: a stream line without result: {line}");
        if (message.Canceled)
        {
            if (message.CompactRevision > 0)
            {
                throw new EtcdCompactedException(message.CompactRevision, startRevision);
            }

            throw new EtcdException($"etcd canceled the watch: {message.CancelReason ?? "no reason given"}");
        }

        return message;
    }

    private static IReadOnlyList<EtcdWatchEvent> ToEvents(List<EventMessage>? messages)
    {
        if (messages is null || messages.Count == 0)
        {
            return [];
        }

        var events = new EtcdWatchEvent[messages.Count];
        for (int i = 0; i < events.Length; i++)
        {
            var message = messages[i];
            var type = message.Type switch
            {
                null or "PUT" => EtcdEventType.Put,
                "DELETE" => EtcdEventType.Delete,
                _ => throw new EtcdException($"etcd watch: unknown event type '{message.Type}'."),
            };
            var kv = message.Kv ?? throw new EtcdException("etcd watch: an event without kv.");
            events[i] = new EtcdWatchEvent(type, EtcdKeyValue.From(kv), message.PrevKv is null ? null : EtcdKeyValue.From(message.PrevKv));
        }

        return events;
    }
}
