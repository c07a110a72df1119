using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Xdp.ControlPlane.Cluster;

/// <summary>Where a key points: its kind and the segments that identify the entry.</summary>
/// <param name="Name">Endpoint/policy/host name, SIR prefix, or MAC/VTEP of a VXLAN key.</param>
/// <param name="Item">The identifier of a mapping; empty otherwise.</param>
/// <param name="Vni">The segment of a VXLAN key; -1 otherwise.</param>
public readonly record struct ClusterKey(ClusterEntryKind Kind, string Name, string Item, int Vni);

/// <summary>
/// Turns etcd keys and values under the cluster prefix into entries. Never throws on input: a bad key or value is
/// answered with the problem, which the caller reports naming the key (a bad entry never stops the watcher).
/// </summary>
public sealed class ClusterEntryParser
{
    private readonly Func<string, string, string?>? _policyValidator;

    // One-entry caches for a snapshot of many mappings: most share their SIR prefix and many their value, and
    // parsing an IPv6 address or a JSON value per key would otherwise dominate a million-key load. Each field is one
    // immutable reference, so concurrent use stays correct (at worst a miss).
    private string? _lastSirPrefix;
    private MappingCache? _lastMapping;

    /// <param name="keys">The layout (prefix).</param>
    /// <param name="policyValidator">
    /// Checks a policy document: (name, text) -> null when valid, else the problem (file, path, what). The control
    /// plane does not reference the policy compiler; the host passes it (e.g. PolicyLoader.Parse). Null: any
    /// non-empty text is accepted here and judged when compiled.
    /// </param>
    public ClusterEntryParser(ClusterKeys keys, Func<string, string, string?>? policyValidator = null)
    {
        Keys = keys;
        _policyValidator = policyValidator;
    }

    public ClusterKeys Keys { get; }

    /// <summary>Parses a key; null when it is valid, else the problem.</summary>
    public string? ParseKey(string key, out ClusterKey parsed)
    {
        parsed = default;
        if (!key.StartsWith(Keys.Prefix, StringComparison.Ordinal))
        {
            return $"not under the prefix {Keys.Prefix}";
        }

        var rest = key.AsSpan(Keys.Prefix.Length);
        if (rest.StartsWith(ClusterKeys.EndpointsSegment, StringComparison.Ordinal))
        {
            return Named(ClusterEntryKind.Endpoint, rest[ClusterKeys.EndpointsSegment.Length..].ToString(), out parsed);
        }

        if (rest.StartsWith(ClusterKeys.PoliciesSegment, StringComparison.Ordinal))
        {
            return Named(ClusterEntryKind.Policy, rest[ClusterKeys.PoliciesSegment.Length..].ToString(), out parsed);
        }

        if (rest.StartsWith(ClusterKeys.HostsSegment, StringComparison.Ordinal))
        {
            return Named(ClusterEntryKind.Host, rest[ClusterKeys.HostsSegment.Length..].ToString(), out parsed);
        }

        if (rest.StartsWith(ClusterKeys.IlaSegment, StringComparison.Ordinal))
        {
            // ila/<sir>/<identifier>: the SIR prefix holds ':' but no '/'.
            var tail = rest[ClusterKeys.IlaSegment.Length..];
            int slash = tail.IndexOf('/');
            if (slash < 0)
            {
                return "an ILA mapping key is ila/<sir-prefix>/<identifier>";
            }

            string sir = tail[..slash].ToString();
            string id = tail[(slash + 1)..].ToString();
            string? canonicalSir = string.Equals(sir, Volatile.Read(ref _lastSirPrefix), StringComparison.Ordinal)
                ? sir
                : ClusterSyntax.CanonicalSirPrefix(sir);
            if (canonicalSir is null || sir.EndsWith("/64", StringComparison.Ordinal))
            {
                return $"'{sir}' is not a SIR prefix (an IPv6 /64 written without its length, e.g. 2001:db8:5151::)";
            }

            if (canonicalSir != sir)
            {
                return $"SIR prefix '{sir}' is not in canonical form (write it as '{canonicalSir}')";
            }

            string? canonicalId = ClusterSyntax.CanonicalIdentifier(id);
            if (canonicalId is null)
            {
                return $"'{id}' is not an identifier (four 16-bit hex groups, e.g. 1:0:0:2)";
            }

            if (canonicalId != id)
            {
                return $"identifier '{id}' is not in canonical form (write it as '{canonicalId}')";
            }

            Volatile.Write(ref _lastSirPrefix, sir);
            parsed = new ClusterKey(ClusterEntryKind.Mapping, sir, id, -1);
            return null;
        }

        if (rest.StartsWith(ClusterKeys.VxlanSegment, StringComparison.Ordinal))
        {
            return ParseVxlanKey(rest[ClusterKeys.VxlanSegment.Length..].ToString(), out parsed);
        }

        return $"unknown kind of key (expected {Keys.Prefix}endpoints/, ila/, vxlan/, policies/ or hosts/)";
    }

    /// <summary>Parses the value of a valid key; null when it is valid (<paramref name="entry"/> set), else the problem.</summary>
    public string? ParseValue(ClusterKey key, ReadOnlySpan<byte> value, out object? entry)
    {
        entry = null;
        switch (key.Kind)
        {
            case ClusterEntryKind.Endpoint:
            {
                if (Deserialize(value, ClusterJsonContext.Default.EndpointValue, out var v) is { } problem)
                {
                    return problem;
                }

                var addresses = v.Addresses ?? [];
                if (addresses.Count == 0)
                {
                    return "addresses: an endpoint needs at least one address";
                }

                for (int i = 0; i < addresses.Count; i++)
                {
                    if (ClusterSyntax.CanonicalAddress(addresses[i]) is null)
                    {
                        return $"addresses[{i}]: '{addresses[i]}' is not an IPv4 or IPv6 address";
                    }
                }

                var labels = v.Labels ?? [];
                for (int i = 0; i < labels.Count; i++)
                {
                    if (ClusterSyntax.LabelProblem(labels[i]) is { } labelProblem)
                    {
                        return $"labels[{i}]: {labelProblem}";
                    }
                }

                if (v.Host is not null && ClusterSyntax.NameProblem(v.Host) is { } hostProblem)
                {
                    return $"host: '{v.Host}' {hostProblem}";
                }

                if (v.Interface is "")
                {
                    return "interface: empty (leave it out for an endpoint without a local interface)";
                }

                entry = new ClusterEndpoint(key.Name, [.. addresses], v.Host, v.Interface, [.. labels]);
                return null;
            }

            case ClusterEntryKind.Mapping:
            {
                if (Volatile.Read(ref _lastMapping) is { } cached && value.SequenceEqual(cached.Value))
                {
                    entry = new ClusterMapping(key.Name, key.Item, cached.Locator, cached.ChecksumMode);
                    return null;
                }

                if (Deserialize(value, ClusterJsonContext.Default.MappingValue, out var v) is { } problem)
                {
                    return problem;
                }

                if (!ClusterSyntax.IsLocator(v.Locator))
                {
                    return v.Locator is null
                        ? "locator: missing"
                        : $"locator: '{v.Locator}' is not a locator (the upper 64 bits of an IPv6 address, e.g. 2001:db8:b::)";
                }

                if (v.ChecksumMode is not null && !ClusterSyntax.ChecksumModes.Contains(v.ChecksumMode))
                {
                    return $"checksumMode: '{v.ChecksumMode}' is not one of {string.Join(", ", ClusterSyntax.ChecksumModes)}";
                }

                entry = new ClusterMapping(key.Name, key.Item, v.Locator!, v.ChecksumMode);
                Volatile.Write(ref _lastMapping, new MappingCache(value.ToArray(), v.Locator!, v.ChecksumMode));
                return null;
            }

            case ClusterEntryKind.Fdb:
            {
                if (Deserialize(value, ClusterJsonContext.Default.FdbValue, out var v) is { } problem)
                {
                    return problem;
                }

                if (ClusterSyntax.CanonicalAddress(v.Vtep) is null)
                {
                    return v.Vtep is null ? "vtep: missing" : $"vtep: '{v.Vtep}' is not an IPv4 or IPv6 address";
                }

                entry = new ClusterFdbEntry(key.Vni, key.Name, v.Vtep!);
                return null;
            }

            case ClusterEntryKind.Flood:
            {
                // The value carries nothing yet ({}); an empty value is accepted as {}.
                if (!value.IsEmpty && Deserialize(value, ClusterJsonContext.Default.FloodValue, out FloodValue _) is { } problem)
                {
                    return problem;
                }

                entry = new ClusterFloodEntry(key.Vni, key.Name);
                return null;
            }

            case ClusterEntryKind.Policy:
            {
                string text;
                try
                {
                    text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
                }
                catch (DecoderFallbackException)
                {
                    return "the policy document is not UTF-8 text";
                }

                if (string.IsNullOrWhiteSpace(text))
                {
                    return "the policy document is empty";
                }

                if (_policyValidator?.Invoke(key.Name, text) is { } policyProblem)
                {
                    return policyProblem;
                }

                entry = new ClusterPolicy(key.Name, text);
                return null;
            }

            case ClusterEntryKind.Host:
            {
                if (Deserialize(value, ClusterJsonContext.Default.HostValue, out var v) is { } problem)
                {
                    return problem;
                }

                if (v.Vtep is not null && ClusterSyntax.CanonicalAddress(v.Vtep) is null)
                {
                    return $"vtep: '{v.Vtep}' is not an IPv4 or IPv6 address";
                }

                var locators = v.Locators ?? [];
                for (int i = 0; i < locators.Count; i++)
                {
                    if (!ClusterSyntax.IsLocator(locators[i]))
                    {
                        return $"locators[{i}]: '{locators[i]}' is not a locator (e.g. 2001:db8:b::)";
                    }
                }

                entry = new ClusterHost(key.Name, v.Vtep, [.. locators]);
                return null;
            }

            default:
                return "unknown kind of key";
        }
    }

    private static string? Named(ClusterEntryKind kind, string name, out ClusterKey parsed)
    {
        parsed = default;
        if (ClusterSyntax.NameProblem(name) is { } problem)
        {
            return $"the name {problem}";
        }

        parsed = new ClusterKey(kind, name, string.Empty, -1);
        return null;
    }

    private static string? ParseVxlanKey(string tail, out ClusterKey parsed)
    {
        // <vni>/fdb/<mac> or <vni>/flood/<vtep>
        parsed = default;
        string[] parts = tail.Split('/');
        if (parts.Length != 3 || parts[1] is not ("fdb" or "flood"))
        {
            return "a VXLAN key is vxlan/<vni>/fdb/<mac> or vxlan/<vni>/flood/<vtep>";
        }

        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int vni)
            || !ClusterSyntax.IsVni(vni)
            || vni.ToString(CultureInfo.InvariantCulture) != parts[0])
        {
            return $"'{parts[0]}' is not a VNI (decimal 0..16777215 without leading zeros, RFC 7348 section 5)";
        }

        if (parts[1] == "fdb")
        {
            string? mac = ClusterSyntax.CanonicalMac(parts[2]);
            if (mac is null)
            {
                return $"'{parts[2]}' is not a MAC address (e.g. 02:00:00:00:00:01)";
            }

            if (mac != parts[2])
            {
                return $"MAC '{parts[2]}' is not in canonical form (write it as '{mac}')";
            }

            parsed = new ClusterKey(ClusterEntryKind.Fdb, mac, string.Empty, vni);
            return null;
        }

        string? vtep = ClusterSyntax.CanonicalAddress(parts[2]);
        if (vtep is null)
        {
            return $"'{parts[2]}' is not a VTEP address";
        }

        if (vtep != parts[2])
        {
            return $"VTEP '{parts[2]}' is not in canonical form (write it as '{vtep}')";
        }

        parsed = new ClusterKey(ClusterEntryKind.Flood, vtep, string.Empty, vni);
        return null;
    }

    private static string? Deserialize<T>(ReadOnlySpan<byte> value, JsonTypeInfo<T> info, out T result)
        where T : class
    {
        result = null!;
        try
        {
            result = JsonSerializer.Deserialize(value, info)!;
            return result is null ? "the value is JSON null (expected an object)" : null;
        }
        catch (JsonException e)
        {
            return $"the value is not valid JSON for this key: {e.Message}";
        }
    }

    private sealed record MappingCache(byte[] Value, string Locator, string? ChecksumMode);
}
