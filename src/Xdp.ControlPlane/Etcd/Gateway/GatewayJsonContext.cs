using System.Text.Json.Serialization;

namespace Xdp.ControlPlane.Etcd.Gateway;

/// <summary>
/// Source-generated (reflection-free) serializers for the gateway messages. int64 fields travel as JSON strings
/// (proto3 JSON mapping), so numbers are written as strings and read from either form; default values are left out as
/// the gateway itself does.
/// </summary>
[JsonSourceGenerationOptions(
    NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(RangeRequest))]
[JsonSerializable(typeof(RangeResponse))]
[JsonSerializable(typeof(PutRequest))]
[JsonSerializable(typeof(PutResponse))]
[JsonSerializable(typeof(DeleteRangeRequest))]
[JsonSerializable(typeof(DeleteRangeResponse))]
[JsonSerializable(typeof(TxnRequest))]
[JsonSerializable(typeof(TxnResponse))]
[JsonSerializable(typeof(CompactionRequest))]
[JsonSerializable(typeof(CompactionResponse))]
[JsonSerializable(typeof(LeaseGrantRequest))]
[JsonSerializable(typeof(LeaseGrantResponse))]
[JsonSerializable(typeof(LeaseIdRequest))]
[JsonSerializable(typeof(LeaseRevokeResponse))]
[JsonSerializable(typeof(LeaseKeepAliveStreamLine))]
[JsonSerializable(typeof(LeaseTimeToLiveRequest))]
[JsonSerializable(typeof(LeaseTimeToLiveResponse))]
[JsonSerializable(typeof(WatchRequest))]
[JsonSerializable(typeof(WatchStreamLine))]
[JsonSerializable(typeof(UnaryError))]
[JsonSerializable(typeof(StatusRequest))]
[JsonSerializable(typeof(StatusResponse))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext
{
}
