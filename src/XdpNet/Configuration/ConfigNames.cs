namespace XdpNet.Configuration;

/// <summary>The enumerated string values the configuration accepts, exactly as written here (lower case).</summary>
public static class ConfigNames
{
    public static readonly string[] Roles = ["uplink", "local"];
    public static readonly string[] BindModes = ["auto", "copy", "zerocopy"];
    public static readonly string[] AttachModes = ["auto", "native", "generic"];
    public static readonly string[] SteeringModes = ["routed", "all", "rules"];
    public static readonly string[] IlaChecksumModes = ["neutral-map", "neutral-map-auto", "adjust-transport", "no-action"];
    public static readonly string[] IlaMissActions = ["drop", "forward"];

    public static bool Is(string? value, string name) => string.Equals(value, name, StringComparison.Ordinal);

    public static bool IsOneOf(string? value, string[] names)
    {
        foreach (var n in names)
        {
            if (Is(value, n)) return true;
        }
        return false;
    }

    public static string Describe(string[] names) => string.Join(", ", Array.ConvertAll(names, n => $"\"{n}\""));
}
