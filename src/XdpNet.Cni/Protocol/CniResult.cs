using System.Net;
using System.Text;
using System.Text.Json;

namespace XdpNet.Cni.Protocol;

/// <summary>One entry of the result's "interfaces" (CNI 1.0 "Success"): a sandbox path only for container interfaces.</summary>
internal sealed record CniInterface(string Name, string Mac, string? Sandbox);

/// <summary>One entry of "ips": an address in CIDR form on the interface with index <see cref="Interface"/> in "interfaces".</summary>
internal sealed record CniIp(string Address, string? Gateway, int? Interface);

/// <summary>One entry of "routes": destination prefix and optional gateway.</summary>
internal sealed record CniRoute(string Dst, string? Gw);

/// <summary>
/// The ADD result of CNI 1.0 ("Success" in the Result Types section) and its parse for prevResult (CHECK, DEL).
/// Written with Utf8JsonWriter so the field names and their order are exactly the spec's.
/// </summary>
internal sealed record CniResult(string CniVersion, IReadOnlyList<CniInterface> Interfaces, IReadOnlyList<CniIp> Ips, IReadOnlyList<CniRoute> Routes)
{
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, CniJson.Options))
        {
            w.WriteStartObject();
            w.WriteString("cniVersion", CniVersion);
            w.WriteStartArray("interfaces");
            foreach (var i in Interfaces)
            {
                w.WriteStartObject();
                w.WriteString("name", i.Name);
                w.WriteString("mac", i.Mac);
                if (i.Sandbox is not null) w.WriteString("sandbox", i.Sandbox);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("ips");
            foreach (var ip in Ips)
            {
                w.WriteStartObject();
                w.WriteString("address", ip.Address);
                if (ip.Gateway is not null) w.WriteString("gateway", ip.Gateway);
                if (ip.Interface is int index) w.WriteNumber("interface", index);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("routes");
            foreach (var r in Routes)
            {
                w.WriteStartObject();
                w.WriteString("dst", r.Dst);
                if (r.Gw is not null) w.WriteString("gw", r.Gw);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads a prevResult object; a field of the wrong type is refused naming it.</summary>
    /// <exception cref="CniException">Code 7 (invalid configuration) naming the field.</exception>
    public static CniResult Parse(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Bad("prevResult", "is not an object");
        var version = element.TryGetProperty("cniVersion", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        var interfaces = new List<CniInterface>();
        var ips = new List<CniIp>();
        var routes = new List<CniRoute>();
        if (element.TryGetProperty("interfaces", out var ifs))
        {
            var n = 0;
            foreach (var i in Array(ifs, "prevResult.interfaces"))
            {
                var key = $"prevResult.interfaces[{n++}]";
                interfaces.Add(new CniInterface(RequiredString(i, "name", key), OptionalString(i, "mac", key) ?? "", OptionalString(i, "sandbox", key)));
            }
        }
        if (element.TryGetProperty("ips", out var ipList))
        {
            var n = 0;
            foreach (var i in Array(ipList, "prevResult.ips"))
            {
                var key = $"prevResult.ips[{n++}]";
                var address = RequiredString(i, "address", key);
                if (!IPNetwork.TryParse(address, out _) && !CidrAddress.TryParse(address, out _, out _)) throw Bad(key + ".address", $"'{address}' is not an address in CIDR form");
                int? index = null;
                if (i.TryGetProperty("interface", out var idx))
                {
                    if (idx.ValueKind != JsonValueKind.Number || !idx.TryGetInt32(out var value) || value < 0) throw Bad(key + ".interface", "is not an interface index");
                    index = value;
                }
                ips.Add(new CniIp(address, OptionalString(i, "gateway", key), index));
            }
        }
        if (element.TryGetProperty("routes", out var routeList))
        {
            var n = 0;
            foreach (var r in Array(routeList, "prevResult.routes"))
            {
                var key = $"prevResult.routes[{n++}]";
                routes.Add(new CniRoute(RequiredString(r, "dst", key), OptionalString(r, "gw", key)));
            }
        }
        return new CniResult(version, interfaces, ips, routes);
    }

    private static JsonElement.ArrayEnumerator Array(JsonElement e, string key) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : throw Bad(key, "is not an array");

    private static string RequiredString(JsonElement e, string name, string key) =>
        OptionalString(e, name, key) ?? throw Bad($"{key}.{name}", "is missing");

    private static string? OptionalString(JsonElement e, string name, string key)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Bad(key, "is not an object");
        if (!e.TryGetProperty(name, out var value)) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Bad($"{key}.{name}", "is not a string");
    }

    private static CniException Bad(string key, string problem) => new(CniErrorCode.InvalidConfig, $"{key}: {problem}", key);
}

/// <summary>"198.18.20.5/24": an interface address with its prefix length (host bits set, unlike IPNetwork).</summary>
internal static class CidrAddress
{
    public static bool TryParse(string text, out IPAddress address, out int prefixLength)
    {
        address = IPAddress.None;
        prefixLength = 0;
        var slash = text.IndexOf('/');
        if (slash <= 0) return false;
        if (!IPAddress.TryParse(text.AsSpan(0, slash), out var parsed)) return false;
        if (!int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefixLength)) return false;
        var max = parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        if (prefixLength > max) return false;
        address = parsed;
        return true;
    }

    public static string Format(IPAddress address, int prefixLength) =>
        address + "/" + prefixLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
