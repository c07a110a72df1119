namespace Xdp.Ila;

/// <summary>Collects mappings off the hot path and builds an <see cref="IlaMappingTable"/> (or refills one with <see cref="IlaMappingTable.Reset"/>).</summary>
public sealed class IlaMappingTableBuilder
{
    private readonly Dictionary<ulong, IlaMapping> _entries = [];

    public int Count => _entries.Count;

    internal IReadOnlyDictionary<ulong, IlaMapping> Entries => _entries;

    /// <summary>
    /// Adds a mapping, refusing an identifier its checksum mode cannot round-trip
    /// (<see cref="IlaIdentifier.Validate"/>) or one already present. Nothing is added on failure.
    /// </summary>
    public bool TryAdd(IlaIdentifier identifier, IlaMapping mapping, out IlaIdentifierError error, out bool duplicate)
    {
        duplicate = false;
        error = identifier.Validate(mapping.Mode);
        if (error != IlaIdentifierError.None) return false;
        if (!_entries.TryAdd(identifier.Value, mapping))
        {
            duplicate = true;
            return false;
        }
        return true;
    }

    /// <summary>As <see cref="TryAdd"/>; throws <see cref="ArgumentException"/> naming the reason.</summary>
    public IlaMappingTableBuilder Add(IlaIdentifier identifier, IlaMapping mapping)
    {
        if (!TryAdd(identifier, mapping, out var error, out var duplicate))
        {
            throw new ArgumentException(duplicate
                ? $"identifier {identifier} is mapped twice"
                : $"identifier {identifier} is refused in {mapping.Mode}: {IlaIdentifierErrors.Name(error)}", nameof(identifier));
        }
        return this;
    }

    public IlaMappingTableBuilder Add(IlaIdentifier identifier, ulong locator, IlaChecksumMode mode, int nextHop = -1) =>
        Add(identifier, new IlaMapping(locator, mode, nextHop));

    public IlaMappingTable Build() => new(_entries);
}
