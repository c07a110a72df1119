using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace XdpNet.Configuration;

/// <summary>
/// Reports configuration keys that match no settings property, with their full path
/// (<c>Interfaces:0:Queue</c> instead of the binder's bare "property 'Queue' not found"), so a typo
/// is refused instead of silently ignored.
/// </summary>
internal static class UnknownKeyFinder
{
    public static void Find(IConfiguration section, Type type, string prefix, List<ConfigError> errors)
    {
        foreach (var child in section.GetChildren())
        {
            var path = prefix.Length == 0 ? child.Key : prefix + ConfigurationPath.KeyDelimiter + child.Key;
            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite && !IsCollection(property.PropertyType))
            {
                errors.Add(new ConfigError(path, $"unknown key (not a setting of {Describe(type)})"));
                continue;
            }
            Check(child, property.PropertyType, path, errors);
        }
    }

    private static void Check(IConfigurationSection section, Type type, string path, List<ConfigError> errors)
    {
        var hasChildren = section.GetChildren().Any();
        if (IsScalar(type))
        {
            if (hasChildren) errors.Add(new ConfigError(path, "expected a single value, found an object or array"));
            return;
        }
        if (IsDictionary(type))
        {
            return; // free-form keys by definition
        }
        if (ElementType(type) is Type element)
        {
            if (!hasChildren && section.Value is { Length: > 0 })
            {
                errors.Add(new ConfigError(path, "expected an array"));
                return;
            }
            foreach (var item in section.GetChildren())
            {
                var itemPath = path + ConfigurationPath.KeyDelimiter + item.Key;
                if (!int.TryParse(item.Key, out _))
                {
                    errors.Add(new ConfigError(itemPath, "expected an array index"));
                    continue;
                }
                Check(item, element, itemPath, errors);
            }
            return;
        }
        if (!hasChildren && section.Value is { Length: > 0 })
        {
            errors.Add(new ConfigError(path, "expected an object"));
            return;
        }
        Find(section, type, path, errors);
    }

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan);
    }

    private static bool IsDictionary(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(Dictionary<,>) || d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>));

    private static bool IsCollection(Type type) => ElementType(type) is not null;

    private static Type? ElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var d
            && (d == typeof(List<>) || d == typeof(IList<>) || d == typeof(IReadOnlyList<>) || d == typeof(IEnumerable<>)))
        {
            return type.GetGenericArguments()[0];
        }
        return null;
    }

    private static string Describe(Type type) => type.Name.EndsWith("Config", StringComparison.Ordinal) ? type.Name[..^"Config".Length] : type.Name;
}
