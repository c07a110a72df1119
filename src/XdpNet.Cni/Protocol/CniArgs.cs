namespace XdpNet.Cni.Protocol;

/// <summary>
/// CNI_ARGS: "K=V;K=V" pairs (CNI 1.0 "Parameters"; the keys runtimes send are in the CNI CONVENTIONS document, e.g.
/// K8S_POD_NAME). A key this plugin does not know is refused unless IgnoreUnknown is 1/true, as libcni's argument
/// loader does, so a typo does not pass silently.
/// </summary>
internal sealed class CniArgs
{
    /// <summary>Keys this plugin reads.</summary>
    public const string IgnoreUnknown = "IgnoreUnknown";
    public const string PodName = "K8S_POD_NAME";
    public const string PodNamespace = "K8S_POD_NAMESPACE";
    public const string PodInfraContainerId = "K8S_POD_INFRA_CONTAINER_ID";
    public const string PodUid = "K8S_POD_UID";
    /// <summary>This plugin's own: "LABELS=app=web,tier=front" (comma-separated key=value labels of the endpoint).</summary>
    public const string Labels = "LABELS";

    private static readonly string[] Known = [IgnoreUnknown, PodName, PodNamespace, PodInfraContainerId, PodUid, Labels];

    private readonly Dictionary<string, string> _values;

    private CniArgs(Dictionary<string, string> values) => _values = values;

    public static CniArgs Empty { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    public IReadOnlyDictionary<string, string> Values => _values;

    public string? this[string key] => _values.TryGetValue(key, out var v) ? v : null;

    /// <exception cref="FormatException">A pair without '=' or an empty key, or an unknown key without IgnoreUnknown.</exception>
    public static CniArgs Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(text)) return new CniArgs(values);
        foreach (var pair in text.Split(';'))
        {
            if (pair.Length == 0) continue;
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new FormatException($"'{pair}' is not KEY=VALUE");
            values[pair[..eq]] = pair[(eq + 1)..];
        }
        var ignoreUnknown = values.TryGetValue(IgnoreUnknown, out var ignore)
            && (ignore == "1" || ignore.Equals("true", StringComparison.OrdinalIgnoreCase));
        if (!ignoreUnknown)
        {
            foreach (var key in values.Keys)
            {
                if (Array.IndexOf(Known, key) < 0)
                    throw new FormatException($"unknown key '{key}' (known: {string.Join(", ", Known)}; IgnoreUnknown=1 ignores others)");
            }
        }
        return new CniArgs(values);
    }
}
