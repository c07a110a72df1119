namespace Xdp.Filter.Policy;

/// <summary>
/// Reads Cilium network policies from text, files and directories. A file that does not parse or validate is
/// refused as a whole (<see cref="PolicyLoadException"/> naming the file, the path inside it and the problem);
/// when several files are loaded together, the errors of all of them are reported at once and none is used.
/// </summary>
public static class PolicyLoader
{
    private static readonly string[] Extensions = [".json", ".yaml", ".yml"];

    /// <summary>Parses one policy text; <paramref name="file"/> names it in errors and picks the format when <see cref="PolicyFormat.Auto"/>.</summary>
    public static IReadOnlyList<PolicyRule> Parse(string text, string file, PolicyFormat format = PolicyFormat.Auto)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(file);
        return PolicyRuleBinder.Bind(PolicyDocumentReader.Read(text, file, format), file);
    }

    public static IReadOnlyList<PolicyRule> LoadFile(string path) => Load([path]);

    /// <summary>Every <c>*.json</c>, <c>*.yaml</c>, <c>*.yml</c> file directly in the directory, in ordinal name order.</summary>
    public static IReadOnlyList<PolicyRule> LoadDirectory(string directory) => Load([directory]);

    /// <summary>
    /// Files, directories (their policy files) and file patterns with <c>*</c>/<c>?</c> in the last segment
    /// (<c>policies/*.yaml</c>), in the given order, each directory or pattern in ordinal name order.
    /// A path that matches nothing is an error: a typo must not silently mean "no policy".
    /// </summary>
    public static IReadOnlyList<PolicyRule> Load(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var rules = new List<PolicyRule>();
        var errors = new List<PolicyError>();
        foreach (var path in paths)
        {
            foreach (var file in Expand(path, errors))
            {
                try
                {
                    rules.AddRange(Parse(File.ReadAllText(file), file));
                }
                catch (PolicyLoadException e)
                {
                    errors.AddRange(e.Errors);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    errors.Add(new PolicyError(file, "", $"cannot be read: {e.Message}"));
                }
            }
        }
        if (errors.Count > 0) throw new PolicyLoadException(errors);
        return rules;
    }

    private static List<string> Expand(string path, List<PolicyError> errors)
    {
        var files = new List<string>();
        var name = Path.GetFileName(path);
        if (name.Contains('*', StringComparison.Ordinal) || name.Contains('?', StringComparison.Ordinal))
        {
            var directory = Path.GetDirectoryName(path);
            if (string.IsNullOrEmpty(directory)) directory = ".";
            if (Directory.Exists(directory)) files.AddRange(Directory.GetFiles(directory, name));
            if (files.Count == 0) errors.Add(new PolicyError(path, "", "matches no policy file"));
        }
        else if (Directory.Exists(path))
        {
            foreach (var file in Directory.GetFiles(path))
                if (Array.Exists(Extensions, e => file.EndsWith(e, StringComparison.OrdinalIgnoreCase))) files.Add(file);
        }
        else if (File.Exists(path)) files.Add(path);
        else errors.Add(new PolicyError(path, "", "not found"));
        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
