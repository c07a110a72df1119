using System.Text.Json.Serialization;

namespace Xdp.ControlPlane.Etcd.Gateway;

// The JSON shapes of etcd's v3 gateway (grpc-gateway over etcdserverpb, api/etcdserverpb/rpc.proto). The gateway
// names fields as in the .proto (snake_case, but "ID"/"TTL"/"grantedTTL" in the lease messages), writes int64 as
// strings, bytes as base64, and omits fields holding their default value (a PUT event has no "type", a failed txn
// no "succeeded", an empty range no "kvs"). Properties are settable for the source generator.

internal sealed class ResponseHeader
{
    [JsonPropertyName("cluster_id")] public ulong ClusterId { get; set; }
    [JsonPropertyName("member_id")] public ulong MemberId { get; set; }
    [JsonPropertyName("revision")] public long Revision { get; set; }
    [JsonPropertyName("raft_term")] public ulong RaftTerm { get; set; }
}

/// <summary>mvccpb.KeyValue (api/mvccpb/kv.proto).</summary>
internal sealed class KeyValueMessage
{
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("create_revision")] public long CreateRevision { get; set; }
    [JsonPropertyName("mod_revision")] public long ModRevision { get; set; }
    [JsonPropertyName("version")] public long Version { get; set; }
    [JsonPropertyName("value")] public byte[]? Value { get; set; }
    [JsonPropertyName("lease")] public long Lease { get; set; }
}

internal sealed class RangeRequest
{
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("range_end")] public byte[]? RangeEnd { get; set; }
    [JsonPropertyName("limit")] public long Limit { get; set; }
    [JsonPropertyName("revision")] public long Revision { get; set; }
    [JsonPropertyName("keys_only")] public bool KeysOnly { get; set; }
    [JsonPropertyName("count_only")] public bool CountOnly { get; set; }
    [JsonPropertyName("min_mod_revision")] public long MinModRevision { get; set; }
}

internal sealed class RangeResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("kvs")] public List<KeyValueMessage>? Kvs { get; set; }
    [JsonPropertyName("more")] public bool More { get; set; }
    [JsonPropertyName("count")] public long Count { get; set; }
}

internal sealed class PutRequest
{
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("value")] public byte[]? Value { get; set; }
    [JsonPropertyName("lease")] public long Lease { get; set; }
    [JsonPropertyName("prev_kv")] public bool PrevKv { get; set; }
}

internal sealed class PutResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("prev_kv")] public KeyValueMessage? PrevKv { get; set; }
}

internal sealed class DeleteRangeRequest
{
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("range_end")] public byte[]? RangeEnd { get; set; }
    [JsonPropertyName("prev_kv")] public bool PrevKv { get; set; }
}

internal sealed class DeleteRangeResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("deleted")] public long Deleted { get; set; }
    [JsonPropertyName("prev_kvs")] public List<KeyValueMessage>? PrevKvs { get; set; }
}

/// <summary>
/// etcdserverpb.Compare. The target value is a oneof: nullable so that a comparison with 0 (create_revision 0 =
/// "key absent") is still written.
/// </summary>
internal sealed class CompareMessage
{
    [JsonPropertyName("result")] public string? Result { get; set; }
    [JsonPropertyName("target")] public string? Target { get; set; }
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("version")] public long? Version { get; set; }
    [JsonPropertyName("create_revision")] public long? CreateRevision { get; set; }
    [JsonPropertyName("mod_revision")] public long? ModRevision { get; set; }
    [JsonPropertyName("value")] public byte[]? Value { get; set; }
}

internal sealed class RequestOp
{
    [JsonPropertyName("request_range")] public RangeRequest? RequestRange { get; set; }
    [JsonPropertyName("request_put")] public PutRequest? RequestPut { get; set; }
    [JsonPropertyName("request_delete_range")] public DeleteRangeRequest? RequestDeleteRange { get; set; }
}

internal sealed class ResponseOp
{
    [JsonPropertyName("response_range")] public RangeResponse? ResponseRange { get; set; }
    [JsonPropertyName("response_put")] public PutResponse? ResponsePut { get; set; }
    [JsonPropertyName("response_delete_range")] public DeleteRangeResponse? ResponseDeleteRange { get; set; }
}

internal sealed class TxnRequest
{
    [JsonPropertyName("compare")] public List<CompareMessage>? Compare { get; set; }
    [JsonPropertyName("success")] public List<RequestOp>? Success { get; set; }
    [JsonPropertyName("failure")] public List<RequestOp>? Failure { get; set; }
}

internal sealed class TxnResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("succeeded")] public bool Succeeded { get; set; }
    [JsonPropertyName("responses")] public List<ResponseOp>? Responses { get; set; }
}

internal sealed class CompactionRequest
{
    [JsonPropertyName("revision")] public long Revision { get; set; }
    [JsonPropertyName("physical")] public bool Physical { get; set; }
}

internal sealed class CompactionResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
}

internal sealed class LeaseGrantRequest
{
    [JsonPropertyName("TTL")] public long Ttl { get; set; }
    [JsonPropertyName("ID")] public long Id { get; set; }
}

internal sealed class LeaseGrantResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("ID")] public long Id { get; set; }
    [JsonPropertyName("TTL")] public long Ttl { get; set; }
    [JsonPropertyName("error")] public string? Error { get; set; }
}

internal sealed class LeaseIdRequest
{
    [JsonPropertyName("ID")] public long Id { get; set; }
}

internal sealed class LeaseRevokeResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
}

internal sealed class LeaseKeepAliveResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("ID")] public long Id { get; set; }
    [JsonPropertyName("TTL")] public long Ttl { get; set; }
}

/// <summary>One line of the keep-alive stream (a client-streaming RPC: one result per request sent).</summary>
internal sealed class LeaseKeepAliveStreamLine
{
    [JsonPropertyName("result")] public LeaseKeepAliveResponse? Result { get; set; }
    [JsonPropertyName("error")] public StreamError? Error { get; set; }
}

internal sealed class LeaseTimeToLiveRequest
{
    [JsonPropertyName("ID")] public long Id { get; set; }
    [JsonPropertyName("keys")] public bool Keys { get; set; }
}

internal sealed class LeaseTimeToLiveResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("ID")] public long Id { get; set; }
    [JsonPropertyName("TTL")] public long Ttl { get; set; }
    [JsonPropertyName("grantedTTL")] public long GrantedTtl { get; set; }
    [JsonPropertyName("keys")] public List<byte[]>? Keys { get; set; }
}

internal sealed class WatchRequest
{
    [JsonPropertyName("create_request")] public WatchCreateRequest? CreateRequest { get; set; }
}

internal sealed class WatchCreateRequest
{
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("range_end")] public byte[]? RangeEnd { get; set; }
    [JsonPropertyName("start_revision")] public long StartRevision { get; set; }
    [JsonPropertyName("progress_notify")] public bool ProgressNotify { get; set; }
    [JsonPropertyName("prev_kv")] public bool PrevKv { get; set; }
}

internal sealed class WatchResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("watch_id")] public long WatchId { get; set; }
    [JsonPropertyName("created")] public bool Created { get; set; }
    [JsonPropertyName("canceled")] public bool Canceled { get; set; }
    [JsonPropertyName("compact_revision")] public long CompactRevision { get; set; }
    [JsonPropertyName("cancel_reason")] public string? CancelReason { get; set; }
    [JsonPropertyName("events")] public List<EventMessage>? Events { get; set; }
}

/// <summary>mvccpb.Event: "type" is absent for PUT (the enum's zero value).</summary>
internal sealed class EventMessage
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("kv")] public KeyValueMessage? Kv { get; set; }
    [JsonPropertyName("prev_kv")] public KeyValueMessage? PrevKv { get; set; }
}

/// <summary>One line of the watch stream: {"result": WatchResponse} or {"error": {...}}.</summary>
internal sealed class WatchStreamLine
{
    [JsonPropertyName("result")] public WatchResponse? Result { get; set; }
    [JsonPropertyName("error")] public StreamError? Error { get; set; }
}

/// <summary>The error object grpc-gateway writes into a stream when the RPC fails after it started.</summary>
internal sealed class StreamError
{
    [JsonPropertyName("grpc_code")] public int GrpcCode { get; set; }
    [JsonPropertyName("http_code")] public int HttpCode { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
}

/// <summary>The body of a failed unary call: {"error": "...", "message": "...", "code": gRPC code}.</summary>
internal sealed class UnaryError
{
    [JsonPropertyName("error")] public string? Error { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
    [JsonPropertyName("code")] public int Code { get; set; }
}

internal sealed class StatusRequest
{
}

internal sealed class StatusResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("version")] public string? Version { get; set; }
    [JsonPropertyName("dbSize")] public long DbSize { get; set; }
    [JsonPropertyName("leader")] public ulong Leader { get; set; }
    [JsonPropertyName("raftIndex")] public ulong RaftIndex { get; set; }
    [JsonPropertyName("raftTerm")] public ulong RaftTerm { get; set; }
}
