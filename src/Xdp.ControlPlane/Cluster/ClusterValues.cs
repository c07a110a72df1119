using System.Text.Json.Serialization;

namespace Xdp.ControlPlane.Cluster;

// The JSON values of the cluster keys (docs/etcd.md). Absent members are null; unknown members are refused so that a
// misspelt field ("locater") is an error naming the key, not a silently missing value.

public sealed class EndpointValue
{
    public List<string>? Addresses { get; set; }

    public string? Host { get; set; }

    public string? Interface { get; set; }

    public List<string>? Labels { get; set; }
}

public sealed class MappingValue
{
    public string? Locator { get; set; }

    public string? ChecksumMode { get; set; }
}

public sealed class FdbValue
{
    public string? Vtep { get; set; }
}

public sealed class FloodValue
{
}

public sealed class HostValue
{
    public string? Vtep { get; set; }

    public List<string>? Locators { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(EndpointValue))]
[JsonSerializable(typeof(MappingValue))]
[JsonSerializable(typeof(FdbValue))]
[JsonSerializable(typeof(FloodValue))]
[JsonSerializable(typeof(HostValue))]
public sealed partial class ClusterJsonContext : JsonSerializerContext
{
}
