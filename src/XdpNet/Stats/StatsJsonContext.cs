using System.Text.Json;
using System.Text.Json.Serialization;

namespace XdpNet.Stats;

/// <summary>Source-generated (reflection-free, trimming-safe) JSON for <see cref="StatsSnapshot"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StatsSnapshot))]
[JsonSerializable(typeof(ConntrackSnapshot))]
public sealed partial class StatsJsonContext : JsonSerializerContext
{
    /// <summary>The same contract, indented for people (<c>xdpnet stats --json</c>).</summary>
    public static StatsJsonContext Indented { get; } = new(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true });
}
