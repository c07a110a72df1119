using System.Collections;

namespace XdpNet.Cni.Protocol;

/// <summary>
/// The CNI_* environment variables of one invocation (CNI 1.0 "Parameters"), checked as the spec states them:
/// the container ID is alphanumeric first, then alphanumerics, '_', '.', '-'; the interface name is a valid Linux
/// name (1..15 bytes, not "." or "..", no '/', ':' or whitespace); a network namespace is required except for DEL
/// ("When CNI_NETNS and/or prevResult are not provided, the plugin should clean up as many resources as possible").
/// </summary>
internal sealed record CniEnvironment(
    CniCommand Command,
    string ContainerId,
    string NetNs,
    string IfName,
    CniArgs Args,
    string Path)
{
    /// <summary>IFNAMSIZ minus the terminating NUL.</summary>
    public const int MaxInterfaceName = 15;

    public static CniEnvironment FromProcess()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && key.StartsWith("CNI_", StringComparison.Ordinal) && entry.Value is string value)
                variables[key] = value;
        }
        return Parse(variables);
    }

    /// <exception cref="CniException">Code 4 naming the variable and the problem.</exception>
    public static CniEnvironment Parse(IReadOnlyDictionary<string, string> variables)
    {
        string Get(string name) => variables.TryGetValue(name, out var v) ? v : "";

        var commandText = Get("CNI_COMMAND");
        var command = commandText switch
        {
            "ADD" => CniCommand.Add,
            "DEL" => CniCommand.Del,
            "CHECK" => CniCommand.Check,
            "VERSION" => CniCommand.Version,
            "STATUS" => CniCommand.Status,
            "GC" => CniCommand.Gc,
            "" => throw Invalid("CNI_COMMAND", "is not set (expected ADD, DEL, CHECK or VERSION)"),
            _ => throw Invalid("CNI_COMMAND", $"'{commandText}' is not a CNI command (expected ADD, DEL, CHECK or VERSION)"),
        };
        if (command is CniCommand.Version or CniCommand.Status or CniCommand.Gc)
            return new CniEnvironment(command, "", "", "", CniArgs.Empty, Get("CNI_PATH"));

        var containerId = Get("CNI_CONTAINERID");
        if (containerId.Length == 0) throw Invalid("CNI_CONTAINERID", "is not set");
        if (!IsValidContainerId(containerId))
            throw Invalid("CNI_CONTAINERID", $"'{containerId}' must start with a letter or digit, followed by letters, digits, '_', '.' or '-'");

        var ifName = Get("CNI_IFNAME");
        if (ifName.Length == 0) throw Invalid("CNI_IFNAME", "is not set");
        var ifProblem = InterfaceNameProblem(ifName);
        if (ifProblem is not null) throw Invalid("CNI_IFNAME", $"'{ifName}' {ifProblem}");

        var netns = Get("CNI_NETNS");
        if (netns.Length == 0 && command != CniCommand.Del) throw Invalid("CNI_NETNS", "is not set");
        if (netns.Length > 0 && !netns.StartsWith('/')) throw Invalid("CNI_NETNS", $"'{netns}' is not an absolute path to a network namespace");

        CniArgs args;
        try
        {
            args = CniArgs.Parse(Get("CNI_ARGS"));
        }
        catch (FormatException e)
        {
            throw Invalid("CNI_ARGS", e.Message);
        }
        return new CniEnvironment(command, containerId, netns, ifName, args, Get("CNI_PATH"));
    }

    private static CniException Invalid(string variable, string problem) =>
        new(CniErrorCode.InvalidEnvironment, $"{variable}: {problem}", variable);

    public static bool IsValidContainerId(string id)
    {
        if (id.Length == 0 || !char.IsAsciiLetterOrDigit(id[0])) return false;
        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '.' or '-')) return false;
        }
        return true;
    }

    /// <summary>Null when <paramref name="name"/> is a valid Linux interface name, otherwise why not.</summary>
    public static string? InterfaceNameProblem(string name)
    {
        if (name.Length == 0) return "is empty";
        if (name.Length > MaxInterfaceName) return $"is longer than {MaxInterfaceName} characters";
        if (name is "." or "..") return "is not a valid interface name";
        foreach (var c in name)
        {
            if (c is '/' or ':' || char.IsWhiteSpace(c) || c > 0x7E || c < 0x21) return "contains '/', ':', whitespace or a non-ASCII character";
        }
        return null;
    }
}
