using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xdp.Runtime.Wire;
using XdpNet.Pipeline;

namespace XdpNet.Endpoints;

/// <summary>
/// Parsing and checking of the endpoint API's request bodies (the socket server and the CLI use the same code, so a
/// request the CLI lets through is never refused by the server for its shape). Problems come back as
/// "&lt;field&gt;: &lt;problem&gt;".
/// </summary>
public static class EndpointRequest
{
    /// <summary>Linux IFNAMSIZ (16) less the terminating NUL.</summary>
    public const int MaxInterfaceName = 15;
    public const int MaxName = 253;
    public const int MaxVni = 0xFF_FFFF;

    private static readonly HashSet<string> AddFields = new(StringComparer.Ordinal) { "name", "interface", "mac", "addresses", "labels", "vni" };

    /// <summary>The body of <c>endpoint add</c>; null and <paramref name="error"/> when it is refused.</summary>
    public static DynamicEndpoint? ParseAdd(string json, out string error)
    {
        using var doc = ParseObject(json, out error);
        if (doc is null) return null;
        var root = doc.RootElement;
        foreach (var property in root.EnumerateObject())
        {
            if (!AddFields.Contains(property.Name))
            {
                error = $"{property.Name}: unknown field (expected name, interface, mac, addresses, labels, vni)";
                return null;
            }
        }
        var endpoint = new DynamicEndpoint();
        if (!TryName(root, out var name, out error)) return null;
        endpoint.Name = name;
        if (!TryString(root, "interface", out var iface, out error)) return null;
        if (!IsInterfaceName(iface, out var problem))
        {
            error = $"interface: {problem}";
            return null;
        }
        endpoint.Interface = iface;
        if (!TryString(root, "mac", out var macText, out error)) return null;
        if (!MacAddress.TryParse(macText, out var mac) || mac.IsMulticast || mac.IsZero)
        {
            error = $"mac: '{macText}' is not a unicast MAC address (six hex octets such as 02:00:00:00:00:01)";
            return null;
        }
        endpoint.Mac = mac.ToString();

        if (!root.TryGetProperty("addresses", out var addresses) || addresses.ValueKind != JsonValueKind.Array || addresses.GetArrayLength() == 0)
        {
            error = "addresses: a non-empty array of addresses (\"198.18.20.5/32\", \"2001:db8::5/128\") is required";
            return null;
        }
        var seen = new HashSet<IPAddress>();
        var i = 0;
        foreach (var a in addresses.EnumerateArray())
        {
            if (a.ValueKind != JsonValueKind.String || !TryHostAddress(a.GetString()!, out var address, out problem))
            {
                error = $"addresses[{i}]: {(a.ValueKind == JsonValueKind.String ? problem : "must be a string")}";
                return null;
            }
            if (!seen.Add(address))
            {
                error = $"addresses[{i}]: {address} is given twice";
                return null;
            }
            endpoint.Addresses.Add(Format(address));
            i++;
        }

        if (root.TryGetProperty("labels", out var labels))
        {
            if (labels.ValueKind != JsonValueKind.Array)
            {
                error = "labels: must be an array of \"key=value\" strings";
                return null;
            }
            i = 0;
            foreach (var l in labels.EnumerateArray())
            {
                if (l.ValueKind != JsonValueKind.String || !HostPipelineBuilder.TryParseLabel(l.GetString()!, out _, out _))
                {
                    error = $"labels[{i}]: {(l.ValueKind == JsonValueKind.String ? $"'{l.GetString()}'" : "the value")} is not a \"key=value\" label";
                    return null;
                }
                endpoint.Labels.Add(l.GetString()!.Trim());
                i++;
            }
        }

        if (root.TryGetProperty("vni", out var vni) && vni.ValueKind != JsonValueKind.Null)
        {
            if (vni.ValueKind != JsonValueKind.Number || !vni.TryGetInt32(out var v) || v < 0 || v > MaxVni)
            {
                error = $"vni: must be an integer 0..{MaxVni}";
                return null;
            }
            endpoint.Vni = v;
        }
        error = "";
        return endpoint;
    }

    /// <summary>The body of <c>endpoint del</c> and <c>endpoint get</c>: <c>{"name":"..."}</c>.</summary>
    public static string? ParseName(string json, out string error)
    {
        using var doc = ParseObject(json, out error);
        if (doc is null) return null;
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name != "name")
            {
                error = $"{property.Name}: unknown field (expected name)";
                return null;
            }
        }
        return TryName(doc.RootElement, out var name, out error) ? name : null;
    }

    /// <summary>An endpoint address: a host address, with or without /32 or /128; anything wider is refused.</summary>
    public static bool TryHostAddress(string text, out IPAddress address, out string problem)
    {
        address = IPAddress.None;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var parsed) || parsed.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            || addressText.Contains('%', StringComparison.Ordinal))
        {
            problem = $"'{text}' is not an IPv4 or IPv6 address";
            return false;
        }
        var host = parsed.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length != host))
        {
            problem = $"'{text}' must be one host address (/{host})";
            return false;
        }
        if (parsed.Equals(IPAddress.Any) || parsed.Equals(IPAddress.IPv6Any) || IPAddress.IsLoopback(parsed)
            || (parsed.AddressFamily == AddressFamily.InterNetworkV6 && (parsed.IsIPv6Multicast || parsed.IsIPv6LinkLocal))
            || (parsed.AddressFamily == AddressFamily.InterNetwork && (parsed.GetAddressBytes()[0] >= 224)))
        {
            problem = $"'{text}' is not a unicast address an endpoint can have";
            return false;
        }
        address = parsed;
        problem = "";
        return true;
    }

    /// <summary>"address/32" or "address/128".</summary>
    public static string Format(IPAddress address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address}/{(address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)}");

    /// <summary>The address of a stored "address/len".</summary>
    public static IPAddress AddressOf(string stored) => IPAddress.Parse(stored.Split('/')[0]);

    /// <summary>A Linux interface name (dev_valid_name): 1..15 bytes, not "." or "..", no '/', ':' or whitespace.</summary>
    public static bool IsInterfaceName(string name, out string problem)
    {
        problem = "";
        if (name.Length == 0 || name.Length > MaxInterfaceName || name is "." or ".."
            || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || c > 0x7e || c < 0x21))
        {
            problem = $"'{name}' is not an interface name (1..{MaxInterfaceName} characters, no '/', ':' or spaces)";
            return false;
        }
        return true;
    }

    private static bool TryName(JsonElement root, out string name, out string error)
    {
        if (!TryString(root, "name", out name, out error)) return false;
        if (name.Length > MaxName || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
        {
            error = $"name: '{name}' must be 1..{MaxName} characters of letters, digits, '.', '_' or '-'";
            return false;
        }
        return true;
    }

    private static bool TryString(JsonElement root, string field, out string value, out string error)
    {
        value = "";
        if (!root.TryGetProperty(field, out var e) || e.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(e.GetString()))
        {
            error = $"{field}: a non-empty string is required";
            return false;
        }
        value = e.GetString()!.Trim();
        error = "";
        return true;
    }

    private static JsonDocument? ParseObject(string json, out string error)
    {
        error = "";
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            error = $"request: not JSON ({e.Message})";
            return null;
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            error = "request: a JSON object is required";
            return null;
        }
        return doc;
    }
}
