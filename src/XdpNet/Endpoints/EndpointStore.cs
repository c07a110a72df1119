using System.Text.Json;

namespace XdpNet.Endpoints;

/// <summary>
/// The endpoints added through the control socket, kept in <c>endpoints.json</c> under the node's state directory so a
/// restarted instance serves them again. Written whole to a temporary file, flushed and renamed over the old one: a
/// crash leaves the old file or the new one, never half of one. Not thread-safe: the endpoint service serialises.
/// </summary>
public sealed class EndpointStore
{
    public const string FileName = "endpoints.json";
    private readonly SortedDictionary<string, DynamicEndpoint> _endpoints = new(StringComparer.Ordinal);

    public EndpointStore(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }
    public string FilePath => Path.Combine(Directory, FileName);

    /// <summary>By name.</summary>
    public IReadOnlyCollection<DynamicEndpoint> Endpoints => _endpoints.Values;

    public DynamicEndpoint? Get(string name) => _endpoints.GetValueOrDefault(name);

    public void Set(DynamicEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _endpoints[endpoint.Name] = endpoint;
    }

    public bool Remove(string name) => _endpoints.Remove(name);

    /// <summary>
    /// Reads the state file (none: no endpoints). An entry that does not pass the request checks is skipped with a
    /// problem line, as is a file that is not JSON (it is then left as it is until the next write).
    /// </summary>
    public static EndpointStore Load(string directory, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var store = new EndpointStore(directory);
        if (!File.Exists(store.FilePath)) return store;
        EndpointStateFile? file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllText(store.FilePath), EndpointJsonContext.Default.EndpointStateFile);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"{store.FilePath}: {e.Message}");
            return store;
        }
        foreach (var e in file?.Endpoints ?? [])
        {
            // The same checks as a request: a hand-edited file cannot bring in what the API would refuse.
            var json = JsonSerializer.Serialize(e, EndpointJsonContext.Default.DynamicEndpoint);
            var parsed = EndpointRequest.ParseAdd(json, out var error);
            if (parsed is null || store._endpoints.ContainsKey(parsed.Name))
            {
                problems.Add($"{store.FilePath}: endpoint '{e.Name}': {(parsed is null ? error : "name given twice")}");
                continue;
            }
            store._endpoints[parsed.Name] = parsed;
        }
        return store;
    }

    /// <summary>Writes the file atomically (temporary file in the same directory, fsync, rename).</summary>
    /// <exception cref="IOException">The directory or file cannot be written.</exception>
    public void Save()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var file = new EndpointStateFile { Endpoints = [.. _endpoints.Values] };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(file, EndpointJsonContext.Default.EndpointStateFile);
        var temporary = FilePath + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, FilePath, overwrite: true);
    }
}
