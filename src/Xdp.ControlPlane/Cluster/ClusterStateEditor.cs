using System.Collections.Immutable;
using Xdp.ControlPlane.Etcd;

namespace Xdp.ControlPlane.Cluster;

/// <summary>
/// Applies key changes to a <see cref="ClusterState"/> through builders of its persistent collections: each change is
/// O(log n), nested tables (the mappings of one SIR prefix, the FDB of one VNI) are rebuilt only when touched, and
/// <see cref="ToState"/> freezes the result without copying. Used for the snapshot load and for every watch response.
/// </summary>
public sealed class ClusterStateEditor
{
    private readonly ClusterEntryParser _parser;
    private readonly ImmutableDictionary<string, ClusterEndpoint>.Builder _endpoints;
    private readonly ImmutableDictionary<string, ImmutableDictionary<string, ClusterMapping>>.Builder _mappings;
    private readonly ImmutableDictionary<int, ImmutableDictionary<string, ClusterFdbEntry>>.Builder _fdb;
    private readonly ImmutableDictionary<int, ImmutableHashSet<string>>.Builder _flood;
    private readonly ImmutableDictionary<string, ClusterPolicy>.Builder _policies;
    private readonly ImmutableDictionary<string, ClusterHost>.Builder _hosts;
    private readonly ImmutableDictionary<string, string>.Builder _rejected;
    private readonly Dictionary<string, ImmutableDictionary<string, ClusterMapping>.Builder> _touchedMappings = new(StringComparer.Ordinal);
    private readonly Dictionary<int, ImmutableDictionary<string, ClusterFdbEntry>.Builder> _touchedFdb = [];
    private readonly Dictionary<int, ImmutableHashSet<string>.Builder> _touchedFlood = [];
    private int _mappingCount;

    public ClusterStateEditor(ClusterState basis, ClusterEntryParser parser)
    {
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(parser);
        _parser = parser;
        _endpoints = basis.Endpoints.ToBuilder();
        _mappings = basis.Mappings.ToBuilder();
        _fdb = basis.Fdb.ToBuilder();
        _flood = basis.Flood.ToBuilder();
        _policies = basis.Policies.ToBuilder();
        _hosts = basis.Hosts.ToBuilder();
        _rejected = basis.Rejected.ToBuilder();
        _mappingCount = basis.MappingCount;
    }

    /// <summary>Applies one watch event.</summary>
    public ClusterChange Apply(EtcdWatchEvent change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.Type == EtcdEventType.Delete
            ? Delete(change.Kv.Key, change.Kv.ModRevision)
            : Put(change.Kv.Key, change.Kv.Value.Span, change.Kv.ModRevision);
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>; a bad key or value is recorded as rejected.</summary>
    public ClusterChange Put(string key, ReadOnlySpan<byte> value, long revision)
    {
        if (_parser.ParseKey(key, out var parsed) is { } keyProblem)
        {
            _rejected[key] = keyProblem;
            return new ClusterChange(ClusterChangeKind.Rejected, ClusterEntryKind.None, key, revision, Problem: keyProblem);
        }

        if (_parser.ParseValue(parsed, value, out object? entry) is { } valueProblem)
        {
            object? removed = Remove(parsed);
            _rejected[key] = valueProblem;
            return new ClusterChange(ClusterChangeKind.Rejected, parsed.Kind, key, revision, removed, Problem: valueProblem);
        }

        _rejected.Remove(key);
        object? previous = Set(parsed, entry!);
        return new ClusterChange(ClusterChangeKind.Put, parsed.Kind, key, revision, previous, entry);
    }

    /// <summary>Removes <paramref name="key"/> (deleted, or expired with its lease).</summary>
    public ClusterChange Delete(string key, long revision)
    {
        _rejected.Remove(key);
        if (_parser.ParseKey(key, out var parsed) is not null)
        {
            return new ClusterChange(ClusterChangeKind.Delete, ClusterEntryKind.None, key, revision);
        }

        return new ClusterChange(ClusterChangeKind.Delete, parsed.Kind, key, revision, Remove(parsed));
    }

    /// <summary>Freezes the edits into a snapshot at <paramref name="revision"/>. The editor may be used on afterwards.</summary>
    public ClusterState ToState(long revision)
    {
        foreach (var (sir, table) in _touchedMappings)
        {
            if (table.Count == 0)
            {
                _mappings.Remove(sir);
            }
            else
            {
                _mappings[sir] = table.ToImmutable();
            }
        }

        foreach (var (vni, table) in _touchedFdb)
        {
            if (table.Count == 0)
            {
                _fdb.Remove(vni);
            }
            else
            {
                _fdb[vni] = table.ToImmutable();
            }
        }

        foreach (var (vni, set) in _touchedFlood)
        {
            if (set.Count == 0)
            {
                _flood.Remove(vni);
            }
            else
            {
                _flood[vni] = set.ToImmutable();
            }
        }

        _touchedMappings.Clear();
        _touchedFdb.Clear();
        _touchedFlood.Clear();
        return new ClusterState(
            revision,
            _endpoints.ToImmutable(),
            _mappings.ToImmutable(),
            _fdb.ToImmutable(),
            _flood.ToImmutable(),
            _policies.ToImmutable(),
            _hosts.ToImmutable(),
            _rejected.ToImmutable(),
            _mappingCount);
    }

    private object? Set(ClusterKey key, object entry)
    {
        switch (key.Kind)
        {
            case ClusterEntryKind.Endpoint:
                return Swap(_endpoints, key.Name, (ClusterEndpoint)entry);
            case ClusterEntryKind.Policy:
                return Swap(_policies, key.Name, (ClusterPolicy)entry);
            case ClusterEntryKind.Host:
                return Swap(_hosts, key.Name, (ClusterHost)entry);
            case ClusterEntryKind.Mapping:
            {
                var previous = Swap(MappingTable(key.Name), key.Item, (ClusterMapping)entry);
                if (previous is null)
                {
                    _mappingCount++;
                }

                return previous;
            }

            case ClusterEntryKind.Fdb:
                return Swap(FdbTable(key.Vni), key.Name, (ClusterFdbEntry)entry);
            case ClusterEntryKind.Flood:
                return FloodSet(key.Vni).Add(key.Name) ? null : entry;
            default:
                return null;
        }
    }

    private object? Remove(ClusterKey key)
    {
        switch (key.Kind)
        {
            case ClusterEntryKind.Endpoint:
                return Take(_endpoints, key.Name);
            case ClusterEntryKind.Policy:
                return Take(_policies, key.Name);
            case ClusterEntryKind.Host:
                return Take(_hosts, key.Name);
            case ClusterEntryKind.Mapping:
            {
                if (!_mappings.ContainsKey(key.Name) && !_touchedMappings.ContainsKey(key.Name))
                {
                    return null;
                }

                var previous = Take(MappingTable(key.Name), key.Item);
                if (previous is not null)
                {
                    _mappingCount--;
                }

                return previous;
            }

            case ClusterEntryKind.Fdb:
                return _fdb.ContainsKey(key.Vni) || _touchedFdb.ContainsKey(key.Vni) ? Take(FdbTable(key.Vni), key.Name) : null;
            case ClusterEntryKind.Flood:
                return (_flood.ContainsKey(key.Vni) || _touchedFlood.ContainsKey(key.Vni)) && FloodSet(key.Vni).Remove(key.Name)
                    ? new ClusterFloodEntry(key.Vni, key.Name)
                    : null;
            default:
                return null;
        }
    }

    private ImmutableDictionary<string, ClusterMapping>.Builder MappingTable(string sir)
    {
        if (!_touchedMappings.TryGetValue(sir, out var table))
        {
            table = _mappings.TryGetValue(sir, out var existing)
                ? existing.ToBuilder()
                : ImmutableDictionary.CreateBuilder<string, ClusterMapping>(StringComparer.Ordinal);
            _touchedMappings[sir] = table;
        }

        return table;
    }

    private ImmutableDictionary<string, ClusterFdbEntry>.Builder FdbTable(int vni)
    {
        if (!_touchedFdb.TryGetValue(vni, out var table))
        {
            table = _fdb.TryGetValue(vni, out var existing)
                ? existing.ToBuilder()
                : ImmutableDictionary.CreateBuilder<string, ClusterFdbEntry>(StringComparer.Ordinal);
            _touchedFdb[vni] = table;
        }

        return table;
    }

    private ImmutableHashSet<string>.Builder FloodSet(int vni)
    {
        if (!_touchedFlood.TryGetValue(vni, out var set))
        {
            set = _flood.TryGetValue(vni, out var existing) ? existing.ToBuilder() : ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            _touchedFlood[vni] = set;
        }

        return set;
    }

    private static T? Swap<T>(ImmutableDictionary<string, T>.Builder table, string key, T entry)
        where T : class
    {
        table.TryGetValue(key, out T? previous);
        table[key] = entry;
        return previous;
    }

    private static T? Take<T>(ImmutableDictionary<string, T>.Builder table, string key)
        where T : class => table.TryGetValue(key, out T? previous) && table.Remove(key) ? previous : null;
}
