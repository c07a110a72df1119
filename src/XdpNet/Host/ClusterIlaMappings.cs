using System.Collections.Immutable;
using Xdp.ControlPlane.Cluster;
using Xdp.Ila;
using XdpNet.Configuration;

namespace XdpNet.Host;

/// <summary>
/// The ILA mapping tables of a host in etcd mode, kept up to date in place: a watch event that adds, changes or
/// removes mappings is validated entry by entry and written to the live table the worker reads
/// (<see cref="IlaMappingTable.Set"/>: no rebuild, no pause of the worker), O(1) per mapping whatever the table size.
/// <para>
/// Each domain's table is three layers, resolved per identifier: the host file's mappings win, then etcd's, then the
/// identifiers of this host's own containers (a /128 route out of a local interface maps to the host's locator).
/// A reload of the file does not rebuild a table: <see cref="TableFor"/> hands the reload the same live table,
/// corrected for the identifiers whose file or local entries changed (O(file + local entries)); only a new domain,
/// a changed locator or checksum mode of a domain, or an etcd resynchronisation builds one from scratch.
/// </para>
/// <para>
/// Ordering: the tables are written only under one lock, by the sync's thread (watch events, in revision order) and the
/// reload thread (<see cref="TableFor"/>). Both read the etcd layer from <see cref="_state"/>, the last state this
/// class applied, never from a newer one the sync has made but not yet reported, so a change is applied exactly once
/// and never undone by an older one. Since a reload keeps the live table instead of replacing it, no incremental change
/// made while a reload is being compiled can be lost by that reload's publication.
/// </para>
/// </summary>
public sealed class ClusterIlaMappings
{
    /// <summary>The log line's start after a watch response's mappings were written to the live tables.</summary>
    public const string AppliedInPlace = "ILA mappings applied in place";

    private readonly object _lock = new();
    private readonly Action<string> _log;
    private readonly Dictionary<ulong, Domain> _domains = [];
    private ClusterState? _state;
    private long _incrementalUpdates, _rebuilds, _refused;

    public ClusterIlaMappings(Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
    }

    /// <summary>Mapping changes from etcd written to a live table in place.</summary>
    public long IncrementalUpdates => Interlocked.Read(ref _incrementalUpdates);

    /// <summary>Tables built or refilled from the whole state (a new domain, a first snapshot, a resynchronisation).</summary>
    public long Rebuilds => Interlocked.Read(ref _rebuilds);

    /// <summary>etcd mappings refused (unusable in their mode, a bad locator, a C-bit twin of a mapped identifier).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>The revision of the last state applied; 0 before the first snapshot.</summary>
    public long Revision
    {
        get
        {
            lock (_lock) return _state?.Revision ?? 0;
        }
    }

    /// <summary>
    /// A snapshot (the first, or a resynchronisation after compaction): every table is refilled from it. A state not
    /// newer than the one applied is ignored.
    /// </summary>
    public void Load(ClusterState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            if (_state is not null && state.Revision <= _state.Revision) return;
            _state = state;
            foreach (var domain in _domains.Values)
            {
                domain.Table.Reset(Build(domain));
                Interlocked.Increment(ref _rebuilds);
            }
        }
    }

    /// <summary>
    /// One watch response: its mapping changes are applied in place. Returns true when it also holds changes of
    /// other kinds the merged configuration uses (endpoints, FDB, flood lists, policies) or a resynchronisation, which
    /// need a full reload.
    /// </summary>
    public bool Apply(ClusterState state, IReadOnlyList<ClusterChange> changes)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(changes);
        var others = false;
        var applied = 0;
        lock (_lock)
        {
            if (_state is null)
            {
                // Events before the first snapshot was handed over: the state they made includes them.
                Load(state);
                return true;
            }
            if (state.Revision <= _state.Revision) return false; // already applied through a newer snapshot
            var previous = _state;
            _state = state;
            foreach (var change in changes)
            {
                if (change.Kind == ClusterChangeKind.FullResync)
                {
                    _state = previous;
                    Load(state);
                    return true;
                }
                if (change.Entry != ClusterEntryKind.Mapping)
                {
                    // Hosts' own keys (and keys that are no entry at all) feed no table: no reload for them.
                    others |= change.Entry is ClusterEntryKind.Endpoint or ClusterEntryKind.Fdb or ClusterEntryKind.Flood or ClusterEntryKind.Policy;
                    continue;
                }
                if ((change.Current ?? change.Previous) is not ClusterMapping entry) continue;
                if (!IlaPrefix.TryParse(entry.SirPrefix, out var sir) || !_domains.TryGetValue(sir, out var domain)) continue;
                if (!IlaIdentifier.TryParse(entry.Identifier, out var identifier)) continue;
                Recompute(domain, identifier.Value, report: true);
                Recompute(domain, identifier.Value ^ IlaIdentifier.CBit, report: false);
                Interlocked.Increment(ref _incrementalUpdates);
                applied++;
            }
        }
        if (applied > 0) _log($"{AppliedInPlace}: {applied} change{(applied == 1 ? "" : "s")} at revision {state.Revision}");
        return others;
    }

    /// <summary>
    /// The live table of a domain for a pipeline being built, with the file's mappings and this host's container
    /// identifiers of the configuration being loaded. Called by <see cref="Pipeline.HostPipelineBuilder.BuildIla"/>.
    /// </summary>
    public IlaMappingTable TableFor(ulong sirPrefix, IlaChecksumMode mode, ulong locator,
        Dictionary<ulong, IlaMapping> file, Dictionary<ulong, IlaMapping> local)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(local);
        lock (_lock)
        {
            if (_domains.TryGetValue(sirPrefix, out var domain) && domain.Mode == mode && domain.Locator == locator)
            {
                // Only the identifiers whose file or local entries may differ are looked at again.
                var touched = new HashSet<ulong>(domain.File.Keys);
                touched.UnionWith(domain.Local.Keys);
                touched.UnionWith(file.Keys);
                touched.UnionWith(local.Keys);
                domain.File = file;
                domain.Local = local;
                foreach (var identifier in touched)
                {
                    Recompute(domain, identifier, report: false);
                    Recompute(domain, identifier ^ IlaIdentifier.CBit, report: false);
                }
                return domain.Table;
            }
            domain = new Domain(SirKey(sirPrefix), mode, locator, file, local);
            domain.Table = Build(domain).Build();
            Interlocked.Increment(ref _rebuilds);
            _domains[sirPrefix] = domain;
            return domain.Table;
        }
    }

    /// <summary>Forgets the domains a new configuration no longer has.</summary>
    public void Retain(IReadOnlyCollection<ulong> sirPrefixes)
    {
        ArgumentNullException.ThrowIfNull(sirPrefixes);
        lock (_lock)
        {
            foreach (var sir in _domains.Keys.ToList())
            {
                if (!sirPrefixes.Contains(sir)) _domains.Remove(sir);
            }
        }
    }

    /// <summary>Every identifier of the three layers, resolved: the whole table's content (O(n)).</summary>
    private IlaMappingTableBuilder Build(Domain domain)
    {
        var builder = new IlaMappingTableBuilder();
        foreach (var (identifier, mapping) in domain.File) builder.TryAdd(new IlaIdentifier(identifier), mapping, out _, out _);
        if (_state is not null && _state.Mappings.TryGetValue(domain.SirKey, out var mappings))
        {
            // Straight over the entries (no lookup by text per entry); locators are few distinct strings, parsed once.
            var locators = new Dictionary<string, ulong>(StringComparer.Ordinal);
            foreach (var entry in mappings.Values)
            {
                if (!IlaIdentifier.TryParse(entry.Identifier, out var id) || domain.File.ContainsKey(id.Value)) continue;
                if (Validate(domain, id.Value, entry, mappings, locators, out var mapping, out var problem)) builder.TryAdd(id, mapping, out _, out _);
                else Refuse(domain, id.Value, problem!);
            }
        }
        foreach (var (identifier, mapping) in domain.Local) builder.TryAdd(new IlaIdentifier(identifier), mapping, out _, out _);
        return builder;
    }

    /// <summary>Writes what <paramref name="identifier"/> resolves to now into the live table.</summary>
    private void Recompute(Domain domain, ulong identifier, bool report)
    {
        Resolve(domain, identifier, out var mapping, out var problem);
        if (problem is not null && report) Refuse(domain, identifier, problem);
        if (mapping is { } m) domain.Table.Set(identifier, m);
        else domain.Table.Remove(identifier);
    }

    /// <summary>
    /// File, else a valid etcd entry, else a local container. <paramref name="problem"/> says why an etcd entry
    /// present for the identifier was not used (the result is then the layer below it).
    /// </summary>
    private bool Resolve(Domain domain, ulong identifier, out IlaMapping? mapping, out string? problem)
    {
        problem = null;
        if (domain.File.TryGetValue(identifier, out var file))
        {
            mapping = file;
            return true;
        }
        if (TryEtcd(domain, identifier, out var etcd, out problem))
        {
            mapping = etcd;
            return true;
        }
        mapping = domain.Local.TryGetValue(identifier, out var local) ? local : null;
        return mapping is not null;
    }

    private bool TryEtcd(Domain domain, ulong identifier, out IlaMapping mapping, out string? problem)
    {
        mapping = default;
        problem = null;
        if (_state is null || !_state.Mappings.TryGetValue(domain.SirKey, out var mappings)
            || !mappings.TryGetValue(Text(identifier), out var entry)) return false;
        return Validate(domain, identifier, entry, mappings, null, out mapping, out problem);
    }

    /// <summary>One etcd entry checked on its own (as the file's validator checks a mapping), with the domain's mode as default.</summary>
    private static bool Validate(Domain domain, ulong identifier, ClusterMapping entry, ImmutableDictionary<string, ClusterMapping> mappings,
        Dictionary<string, ulong>? locators, out IlaMapping mapping, out string? problem)
    {
        mapping = default;
        problem = null;
        var mode = domain.Mode;
        if (entry.ChecksumMode is not null)
        {
            var index = Array.IndexOf(ConfigNames.IlaChecksumModes, entry.ChecksumMode);
            if (index < 0)
            {
                problem = $"checksum mode '{entry.ChecksumMode}' is not one of {ConfigNames.Describe(ConfigNames.IlaChecksumModes)}";
                return false;
            }
            mode = (IlaChecksumMode)index;
        }
        if (locators is null || !locators.TryGetValue(entry.Locator, out var locator))
        {
            if (!IlaPrefix.TryParse(entry.Locator, out locator))
            {
                problem = $"'{entry.Locator}' is not a locator";
                return false;
            }
            locators?.Add(entry.Locator, locator);
        }
        var error = new IlaIdentifier(identifier).Validate(mode);
        if (error != IlaIdentifierError.None)
        {
            problem = $"identifier refused in {ConfigNames.IlaChecksumModes[(int)mode]} mode: {IlaIdentifierErrors.Name(error)}";
            return false;
        }
        // As the file's validator: one identifier once per domain whatever its C-bit (ILA->SIR of a quoted error could
        // not tell the two apart). The one without the C-bit wins, so the outcome does not depend on arrival order.
        var twin = identifier ^ IlaIdentifier.CBit;
        if ((identifier & IlaIdentifier.CBit) != 0
            && (domain.File.ContainsKey(twin) || domain.Local.ContainsKey(twin) || mappings.ContainsKey(Text(twin))))
        {
            problem = $"identifier {Text(twin)} (the same without the C-bit) is mapped";
            return false;
        }
        mapping = new IlaMapping(locator, mode);
        return true;
    }

    private void Refuse(Domain domain, ulong identifier, string problem)
    {
        Interlocked.Increment(ref _refused);
        _log($"ILA mapping {domain.SirKey}/{Text(identifier)} refused: {problem}; it is left out");
    }

    /// <summary>An identifier as etcd keys spell it (four lower-case groups, no leading zeros).</summary>
    private static string Text(ulong identifier) => new IlaIdentifier(identifier).ToString();

    /// <summary>A SIR prefix as <see cref="ClusterState.Mappings"/> keys it: the compressed text of the /64's address.</summary>
    private static string SirKey(ulong prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, prefix);
        return new System.Net.IPAddress(bytes).ToString();
    }

    private sealed class Domain(string sirKey, IlaChecksumMode mode, ulong locator, Dictionary<ulong, IlaMapping> file, Dictionary<ulong, IlaMapping> local)
    {
        /// <summary>The SIR prefix as <see cref="ClusterState.Mappings"/> keys it (canonical compressed text).</summary>
        public string SirKey { get; } = sirKey;
        public IlaChecksumMode Mode { get; } = mode;
        public ulong Locator { get; } = locator;
        public Dictionary<ulong, IlaMapping> File { get; set; } = file;
        public Dictionary<ulong, IlaMapping> Local { get; set; } = local;
        public IlaMappingTable Table { get; set; } = IlaMappingTable.Empty;
    }
}
