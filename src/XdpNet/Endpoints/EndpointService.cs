using System.Net;
using System.Text.Json;
using XdpNet.Configuration;

namespace XdpNet.Endpoints;

/// <summary>
/// The endpoint API of the control socket (<c>endpoint add|del|list|get</c>, one request line, one JSON answer line).
/// A change is checked against the endpoints already served, then applied through the same path as a configuration
/// reload (validation of the merged configuration, one swap into the worker, interfaces added or removed live); a
/// refused change leaves the store and the running state as they were. Requests are serialised with reloads by
/// <see cref="Gate"/>.
/// </summary>
public sealed class EndpointService
{
    private readonly EndpointStore _store;
    private readonly Func<HostConfig> _running;
    private readonly Func<IReadOnlyList<string>?> _reload;
    private readonly TextWriter _log;
    private readonly Action? _changed;

    /// <param name="changed">Called (under <see cref="Gate"/>) after an endpoint was added or removed: publishes the set in etcd.</param>
    /// <param name="running">The configuration in force (file, cluster state and these endpoints merged).</param>
    /// <param name="reload">Applies the configuration with the store's endpoints; null when applied, else the problems.</param>
    public EndpointService(EndpointStore store, Func<HostConfig> running, Func<IReadOnlyList<string>?> reload, TextWriter log, object gate, Action? changed = null)
    {
        _changed = changed;
        _store = store;
        _running = running;
        _reload = reload;
        _log = log;
        Gate = gate;
    }

    /// <summary>Held while a request or a reload changes the running state.</summary>
    public object Gate { get; }

    public const string Prefix = "endpoint";

    /// <summary>Answers one request line (starting with "endpoint"); never throws.</summary>
    public string Handle(string line)
    {
        EndpointResponse response;
        try
        {
            response = Dispatch(line.Trim());
        }
#pragma warning disable CA1031 // The answer carries the failure; the server and the data plane go on.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log.WriteLine($"endpoint: request failed: {e}");
            response = EndpointResponse.Failure($"request: {e.Message}");
        }
        return JsonSerializer.Serialize(response, EndpointJsonContext.Default.EndpointResponse);
    }

    private EndpointResponse Dispatch(string line)
    {
        var rest = line.Length > Prefix.Length ? line[Prefix.Length..].TrimStart() : "";
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        var verb = space < 0 ? rest : rest[..space];
        var body = space < 0 ? "" : rest[(space + 1)..].Trim();
        switch (verb)
        {
            case "add":
                return Add(body);
            case "del":
                return Delete(body);
            case "get":
            {
                var name = EndpointRequest.ParseName(body, out var error);
                if (name is null) return EndpointResponse.Failure(error);
                lock (Gate)
                {
                    var e = _store.Get(name);
                    return e is null ? EndpointResponse.Failure($"name: no endpoint '{name}'") : new EndpointResponse { Ok = true, Endpoint = e };
                }
            }
            case "list":
                if (body.Length != 0 && body != "{}") return EndpointResponse.Failure("request: endpoint list takes no body");
                lock (Gate) return new EndpointResponse { Ok = true, Endpoints = [.. _store.Endpoints] };
            default:
                return EndpointResponse.Failure($"request: unknown request '{line}' (expected endpoint add|del|list|get)");
        }
    }

    private EndpointResponse Add(string body)
    {
        var endpoint = EndpointRequest.ParseAdd(body, out var error);
        if (endpoint is null) return EndpointResponse.Failure(error);
        lock (Gate)
        {
            var existing = _store.Get(endpoint.Name);
            if (existing is not null)
            {
                // CNI runtimes repeat an ADD after a timeout: the same endpoint again is fine, another one under its name is not.
                return existing.SameAs(endpoint)
                    ? new EndpointResponse { Ok = true, Endpoint = existing }
                    : EndpointResponse.Failure($"name: endpoint '{endpoint.Name}' exists with other settings (delete it first)");
            }
            var conflict = Conflict(endpoint, _running());
            if (conflict is not null) return EndpointResponse.Failure(conflict);
            _store.Set(endpoint);
            var problems = _reload();
            if (problems is not null)
            {
                _store.Remove(endpoint.Name);
                return EndpointResponse.Failure(string.Join("; ", problems));
            }
            if (!TrySave(out var saveError))
            {
                // Not persisted means not promised: undo, so a restart does not silently differ from what was answered.
                _store.Remove(endpoint.Name);
                _reload();
                return EndpointResponse.Failure(saveError);
            }
            _changed?.Invoke();
            _log.WriteLine($"endpoint: added {endpoint.Name} on {endpoint.Interface} ({string.Join(", ", endpoint.Addresses)}{(endpoint.Vni is int v ? $", VNI {v}" : "")})");
            return new EndpointResponse { Ok = true, Endpoint = endpoint };
        }
    }

    private EndpointResponse Delete(string body)
    {
        var name = EndpointRequest.ParseName(body, out var error);
        if (name is null) return EndpointResponse.Failure(error);
        lock (Gate)
        {
            var existing = _store.Get(name);
            // CNI DEL must succeed for what is already gone.
            if (existing is null) return new EndpointResponse { Ok = true, Absent = true };
            _store.Remove(name);
            var problems = _reload();
            if (problems is not null)
            {
                _store.Set(existing);
                return EndpointResponse.Failure(string.Join("; ", problems));
            }
            if (!TrySave(out var saveError)) _log.WriteLine($"endpoint: removed {name}, but {saveError}; a restart would serve it again");
            _changed?.Invoke();
            _log.WriteLine($"endpoint: removed {name} from {existing.Interface}");
            return new EndpointResponse { Ok = true, Endpoint = existing };
        }
    }

    private bool TrySave(out string error)
    {
        try
        {
            _store.Save();
            error = "";
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"Node:StateDirectory: cannot write {_store.FilePath}: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// Why <paramref name="endpoint"/> cannot be added next to what is served: its interface, name or addresses taken by
    /// another endpoint or by the configuration, an interface the kernel does not have, a VNI no segment has. Null when none.
    /// </summary>
    internal string? Conflict(DynamicEndpoint endpoint, HostConfig running)
    {
        var dynamicInterfaces = new HashSet<string>(StringComparer.Ordinal);
        var dynamicNames = new HashSet<string>(StringComparer.Ordinal);
        var dynamicAddresses = new Dictionary<IPAddress, string>();
        foreach (var other in _store.Endpoints)
        {
            if (other.Interface == endpoint.Interface) return $"interface: '{endpoint.Interface}' is used by endpoint '{other.Name}'";
            dynamicInterfaces.Add(other.Interface);
            dynamicNames.Add(other.Name);
            foreach (var a in other.Addresses) dynamicAddresses[EndpointRequest.AddressOf(a)] = other.Name;
        }
        var addresses = endpoint.Addresses.ConvertAll(EndpointRequest.AddressOf);
        for (var i = 0; i < addresses.Count; i++)
        {
            if (dynamicAddresses.TryGetValue(addresses[i], out var owner)) return $"addresses[{i}]: {addresses[i]} is used by endpoint '{owner}'";
        }
        var configured = running.Interfaces.FindIndex(i => i.Name == endpoint.Interface);
        if (configured >= 0 && !dynamicInterfaces.Contains(endpoint.Interface))
            return $"interface: '{endpoint.Interface}' is already configured (Interfaces:{configured})";
        foreach (var e in running.Endpoints)
        {
            if (dynamicNames.Contains(e.Name)) continue;
            if (e.Name == endpoint.Name) return $"name: '{endpoint.Name}' is an endpoint of the configuration";
            for (var i = 0; i < addresses.Count; i++)
            {
                if (e.Addresses.Exists(a => IPAddress.TryParse(a, out var ip) && ip.Equals(addresses[i])))
                    return $"addresses[{i}]: {addresses[i]} belongs to endpoint '{e.Name}' of the configuration";
            }
        }
        for (var r = 0; r < running.Routes.Count; r++)
        {
            var route = running.Routes[r];
            if (dynamicInterfaces.Contains(route.Interface) || !IPNetwork.TryParse(route.Prefix, out var prefix)) continue;
            for (var i = 0; i < addresses.Count; i++)
            {
                var host = addresses[i].AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
                if (prefix.PrefixLength == host && prefix.BaseAddress.Equals(addresses[i]))
                    return $"addresses[{i}]: {addresses[i]} is already routed (Routes:{r})";
            }
        }
        if (!Directory.Exists(Path.Combine("/sys/class/net", endpoint.Interface)))
            return $"interface: '{endpoint.Interface}' does not exist in this network namespace";
        if (endpoint.Vni is int vni && !running.Vxlan.Segments.Exists(s => s.Vni == vni))
            return $"vni: no VXLAN segment {vni} is configured";
        return null;
    }
}
