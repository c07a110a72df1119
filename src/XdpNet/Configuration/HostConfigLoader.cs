using System.Collections;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace XdpNet.Configuration;

/// <summary>The outcome of loading a host configuration: the bound settings, or the errors that prevent using them.</summary>
public sealed class HostConfigLoadResult
{
    internal HostConfigLoadResult(HostConfig? config, IReadOnlyList<ConfigError> errors)
    {
        Config = config;
        Errors = errors;
    }

    /// <summary>The bound configuration; null when the file could not be read or bound.</summary>
    public HostConfig? Config { get; }

    public IReadOnlyList<ConfigError> Errors { get; }

    public bool Succeeded => Errors.Count == 0 && Config is not null;
}

/// <summary>
/// Loads the host configuration from, in increasing precedence: the JSON file, environment variables
/// prefixed <c>XDPNET_</c> (<c>__</c> separates sections: <c>XDPNET_Node__Cpu=1</c>), and command-line
/// overrides (<c>--Node:Cpu=1</c>). Every problem comes back as a <see cref="ConfigError"/>; nothing throws.
/// </summary>
public static partial class HostConfigLoader
{
    public const string EnvironmentPrefix = "XDPNET_";

    /// <summary>Load and bind only (no semantic validation).</summary>
    /// <param name="path">The JSON file.</param>
    /// <param name="overrides">Command-line style overrides, e.g. <c>--Node:Cpu=1</c> or <c>--Umem:Frames 4096</c>.</param>
    /// <param name="environment">Environment variables to read; null = the process environment.</param>
    public static HostConfigLoadResult Load(string path, IReadOnlyList<string>? overrides = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var errors = new List<ConfigError>();
        var root = Build(path, overrides, environment, errors);
        if (root is null) return new HostConfigLoadResult(null, errors);

        // Walk the keys first so an unknown key is reported with its full path; the binder's own
        // ErrorOnUnknownConfiguration message names only the property, not where it is.
        UnknownKeyFinder.Find(root, typeof(HostConfig), "", errors);
        if (errors.Count > 0) return new HostConfigLoadResult(null, errors);

        var config = new HostConfig();
        try
        {
            root.Bind(config, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            errors.Add(BindError(e));
            return new HostConfigLoadResult(null, errors);
        }
        ReplaceDefaultLists(root, config);
        // Policy files are named relative to the configuration file, wherever the process runs.
        var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        config.Policy.Files = config.Policy.Files.ConvertAll(f => Path.IsPathRooted(f) ? f : Path.GetFullPath(Path.Combine(directory, f)));
        return new HostConfigLoadResult(config, errors);
    }

    /// <summary>
    /// The binder appends a configured list to the list a property already holds, so Queues = [1] would bind as
    /// [0, 1] on top of the default [0]. Lists with a non-empty default are therefore re-read from their section.
    /// </summary>
    private static void ReplaceDefaultLists(IConfiguration root, HostConfig config)
    {
        for (var i = 0; i < config.Interfaces.Count; i++)
        {
            var queues = root.GetSection($"Interfaces:{i}:Queues");
            if (queues.GetChildren().Any())
            {
                config.Interfaces[i].Queues = queues.Get<List<int>>() ?? [];
            }
        }
    }

    /// <summary>Load, bind and validate; <see cref="HostConfigLoadResult.Config"/> is null when there is any error.</summary>
    public static HostConfigLoadResult LoadAndValidate(
        string path,
        IReadOnlyList<string>? overrides = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        ValidationLimits? limits = null)
    {
        var loaded = Load(path, overrides, environment);
        if (!loaded.Succeeded) return loaded;
        var errors = HostConfigValidator.Validate(loaded.Config!, limits);
        return errors.Count == 0 ? loaded : new HostConfigLoadResult(null, errors);
    }

    private static IConfigurationRoot? Build(string path, IReadOnlyList<string>? overrides, IReadOnlyDictionary<string, string?>? environment, List<ConfigError> errors)
    {
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            errors.Add(new ConfigError(ConfigError.FileKey, $"invalid path '{path}': {e.Message}"));
            return null;
        }
        if (!File.Exists(fullPath))
        {
            errors.Add(new ConfigError(ConfigError.FileKey, $"configuration file not found: {fullPath}"));
            return null;
        }

        var builder = new ConfigurationBuilder()
            .SetBasePath(Path.GetDirectoryName(fullPath)!)
            .Add(new IndexedJsonConfigurationSource { Path = Path.GetFileName(fullPath), Optional = false, ReloadOnChange = false });
        if (environment is null)
        {
            builder.AddEnvironmentVariables(EnvironmentPrefix);
        }
        else
        {
            builder.AddInMemoryCollection(TranslateEnvironment(environment));
        }
        if (overrides is { Count: > 0 })
        {
            builder.AddCommandLine([.. overrides]);
        }

        try
        {
            return builder.Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException or UnauthorizedAccessException)
        {
            errors.Add(FileError(fullPath, e));
            return null;
        }
    }

    /// <summary>The same translation as the environment-variable provider: strip the prefix, <c>__</c> becomes <c>:</c>.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> TranslateEnvironment(IReadOnlyDictionary<string, string?> environment)
    {
        foreach (var (key, value) in environment)
        {
            if (!key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            yield return new(key[EnvironmentPrefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal), value);
        }
    }

    /// <summary>The process environment as a dictionary (for callers that want to pass it explicitly).</summary>
    public static IReadOnlyDictionary<string, string?> ProcessEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string;
        }
        return result;
    }

    private static ConfigError FileError(string fullPath, Exception e)
    {
        // The JSON provider wraps the JsonException; its line and byte position (both zero-based) locate the fault.
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is JsonException json)
            {
                var where = json.LineNumber is long line
                    ? $" at line {line + 1}, position {(json.BytePositionInLine ?? 0) + 1}"
                    : "";
                return new ConfigError(ConfigError.FileKey, $"malformed JSON in {fullPath}{where}: {FirstSentence(json.Message)}");
            }
        }
        if (e is FormatException)
        {
            // Duplicate keys, or a command-line override the provider cannot parse.
            return new ConfigError(ConfigError.FileKey, e.Message);
        }
        return new ConfigError(ConfigError.FileKey, $"cannot read {fullPath}: {(e.InnerException ?? e).Message}");
    }

    private static string FirstSentence(string message)
    {
        // System.Text.Json appends "Path: $ | LineNumber: 3 | BytePositionInLine: 7." which we already report.
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static ConfigError BindError(InvalidOperationException e)
    {
        // "Failed to convert configuration value at 'Node:Cpu' to type 'System.Nullable`1[System.Int32]'."
        // Inside collections the binder wraps that message in a generic one, so search the whole chain.
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            var match = ConvertFailure().Match(inner.Message);
            if (match.Success)
            {
                return new ConfigError(match.Groups["key"].Value, $"value cannot be converted to {FriendlyType(match.Groups["type"].Value)}");
            }
        }
        return new ConfigError("(config)", e.Message);
    }

    private static string FriendlyType(string clrType) => clrType switch
    {
        _ when clrType.Contains("Int32", StringComparison.Ordinal) => "an integer",
        _ when clrType.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ => clrType,
    };

    [GeneratedRegex(@"at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex ConvertFailure();
}
