using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Xdp.Filter.Policy;

/// <summary>Reads JSON or YAML text into <see cref="PolicyNode"/> documents (a YAML stream may hold several).</summary>
internal static class PolicyDocumentReader
{
    public static List<PolicyNode> Read(string text, string file, PolicyFormat format)
    {
        if (format == PolicyFormat.Auto) format = Sniff(file, text);
        return format == PolicyFormat.Json ? [ReadJson(text, file)] : ReadYaml(text, file);
    }

    private static PolicyFormat Sniff(string file, string text)
    {
        var extension = Path.GetExtension(file);
        if (extension.Equals(".json", StringComparison.OrdinalIgnoreCase)) return PolicyFormat.Json;
        if (extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase))
            return PolicyFormat.Yaml;
        var first = text.AsSpan().TrimStart();
        return first.Length > 0 && (first[0] == '[' || first[0] == '{') ? PolicyFormat.Json : PolicyFormat.Yaml;
    }

    private static PolicyNode ReadJson(string text, string file)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return FromJson(document.RootElement);
        }
        catch (JsonException e)
        {
            // The reader's position is 0-based; people count lines from 1.
            var where = e.LineNumber is { } line ? $"line {line + 1}, byte {e.BytePositionInLine + 1}: " : "";
            throw new PolicyLoadException([new PolicyError(file, "", $"not valid JSON: {where}{FirstSentence(e.Message)}")]);
        }
    }

    private static PolicyNode FromJson(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var map = new PolicyMapNode();
                foreach (var property in element.EnumerateObject()) map.Entries.Add(new(property.Name, FromJson(property.Value)));
                return map;
            case JsonValueKind.Array:
                var list = new PolicyListNode();
                foreach (var item in element.EnumerateArray()) list.Items.Add(FromJson(item));
                return list;
            case JsonValueKind.String:
                return new PolicyScalarNode(element.GetString()!, PolicyScalarKind.String);
            case JsonValueKind.Number:
                return new PolicyScalarNode(element.GetRawText(), PolicyScalarKind.Number);
            case JsonValueKind.True:
                return new PolicyScalarNode("true", PolicyScalarKind.Boolean);
            case JsonValueKind.False:
                return new PolicyScalarNode("false", PolicyScalarKind.Boolean);
            default:
                return new PolicyScalarNode("", PolicyScalarKind.Null);
        }
    }

    private static List<PolicyNode> ReadYaml(string text, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new PolicyLoadException([new PolicyError(file, "",
                $"not valid YAML: line {e.Start.Line}, column {e.Start.Column}: {FirstSentence(e.InnerException?.Message ?? e.Message)}")]);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's parser gives up this way on input that ends inside a collection.
            throw new PolicyLoadException([new PolicyError(file, "", "not valid YAML: the input ends inside an unclosed collection")]);
        }
        var documents = new List<PolicyNode>(stream.Documents.Count);
        foreach (var document in stream.Documents) documents.Add(FromYaml(document.RootNode, 0));
        return documents;
    }

    private static PolicyNode FromYaml(YamlNode node, int depth)
    {
        // Aliases can make a graph; policies are trees and never that deep.
        if (depth > 64) throw new YamlException(node.Start, node.End, "document nested deeper than 64 levels");
        switch (node)
        {
            case YamlMappingNode mapping:
                var map = new PolicyMapNode();
                foreach (var (key, value) in mapping.Children)
                    map.Entries.Add(new(key is YamlScalarNode scalarKey ? scalarKey.Value ?? "" : key.ToString(), FromYaml(value, depth + 1)));
                return map;
            case YamlSequenceNode sequence:
                var list = new PolicyListNode();
                foreach (var item in sequence.Children) list.Items.Add(FromYaml(item, depth + 1));
                return list;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                return new PolicyScalarNode("", PolicyScalarKind.Null);
        }
    }

    /// <summary>YAML 1.2 core schema for plain scalars; quoted scalars are always strings.</summary>
    private static PolicyScalarNode Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != YamlDotNet.Core.ScalarStyle.Plain) return new PolicyScalarNode(text, PolicyScalarKind.String);
        if (text.Length == 0 || text == "~" || text is "null" or "Null" or "NULL") return new PolicyScalarNode("", PolicyScalarKind.Null);
        if (text is "true" or "True" or "TRUE") return new PolicyScalarNode("true", PolicyScalarKind.Boolean);
        if (text is "false" or "False" or "FALSE") return new PolicyScalarNode("false", PolicyScalarKind.Boolean);
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
            || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            return new PolicyScalarNode(text, PolicyScalarKind.Number);
        return new PolicyScalarNode(text, PolicyScalarKind.String);
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }
}

/// <summary>How a policy file is written; <see cref="Auto"/> goes by the extension, then by the first character.</summary>
public enum PolicyFormat
{
    Auto,
    Json,
    Yaml,
}
