using System.Text.Json.Serialization;

namespace XdpNet.Endpoints;

/// <summary>
/// An endpoint added to a running instance through the control socket (a container a CNI plugin attached): its host
/// veth end becomes a local interface, the endpoint's labels give it an identity for policy, and without a VNI each
/// address gets a host route to the interface with the container's MAC as next hop; with a VNI the interface joins
/// that VXLAN segment instead. Stored as given after normalisation (addresses as "address/32" or "address/128").
/// </summary>
public sealed class DynamicEndpoint
{
    public string Name { get; set; } = "";
    /// <summary>Host end of the container's veth.</summary>
    public string Interface { get; set; } = "";
    /// <summary>The container end's MAC: the next hop of the endpoint's routes.</summary>
    public string Mac { get; set; } = "";
    public List<string> Addresses { get; set; } = [];
    public List<string> Labels { get; set; } = [];
    /// <summary>VXLAN segment the interface joins; null: routed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Vni { get; set; }

    /// <summary>The same endpoint (an ADD repeated): every field equal, addresses and labels as sets.</summary>
    public bool SameAs(DynamicEndpoint other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Name == other.Name && Interface == other.Interface && string.Equals(Mac, other.Mac, StringComparison.OrdinalIgnoreCase)
            && Vni == other.Vni && SetEqual(Addresses, other.Addresses) && SetEqual(Labels, other.Labels);
    }

    private static bool SetEqual(List<string> a, List<string> b) =>
        new HashSet<string>(a, StringComparer.Ordinal).SetEquals(b);
}

/// <summary>The state file: <c>endpoints.json</c> in the node's state directory.</summary>
public sealed class EndpointStateFile
{
    public List<DynamicEndpoint> Endpoints { get; set; } = [];
}

/// <summary>One answer line of the endpoint API.</summary>
public sealed class EndpointResponse
{
    public bool Ok { get; set; }
    public string? Error { get; set; }
    public bool? Absent { get; set; }
    public DynamicEndpoint? Endpoint { get; set; }
    public List<DynamicEndpoint>? Endpoints { get; set; }

    public static EndpointResponse Failure(string error) => new() { Ok = false, Error = error };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DynamicEndpoint))]
[JsonSerializable(typeof(EndpointStateFile))]
[JsonSerializable(typeof(EndpointResponse))]
public sealed partial class EndpointJsonContext : JsonSerializerContext;
