using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using XdpNet.Cni.Ipam;
using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Configuration;

/// <summary>
/// Reads and checks the network configuration. Every refusal names the key and the problem: a document that is not
/// JSON is code 6 (decoding failure), a cniVersion this plugin does not speak code 1, a key it does not know (or an
/// <c>ipam</c>/<c>dns</c> section: this plugin allocates itself) code 2, a bad value code 7 (CNI 1.0 well-known
/// error codes).
/// </summary>
internal static class NetworkConfigParser
{
    /// <summary>Keys of the spec that a runtime may put in any plugin's configuration (CNI 1.0 "Plugin configuration objects").</summary>
    private static readonly string[] SpecKeys = ["cniVersion", "name", "type", "args", "runtimeConfig", "capabilities", "prevResult", "disableCheck", "disableGC"];

    private static readonly string[] CommonKeys = ["socket", "mode", "mtu", "dataDir", "labels", "timeoutSeconds"];
    private static readonly string[] IlaKeys = ["sirPrefix", "identifierRange"];
    private static readonly string[] VxlanKeys = ["vni", "subnet", "gateway", "rangeStart", "rangeEnd"];

    public static NetworkConfig Parse(ReadOnlySpan<byte> json)
    {
        using var document = Decode(json);
        return Parse(document.RootElement);
    }

    /// <summary>The cniVersion a document asks for, for the VERSION command (empty when it has none).</summary>
    public static string RequestedVersion(ReadOnlySpan<byte> json)
    {
        if (json.Trim((byte)' ').Length == 0) return "";
        using var document = Decode(json);
        return document.RootElement.TryGetProperty("cniVersion", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
    }

    /// <summary>The cniVersion of a document for an error answer, whatever else is wrong with it.</summary>
    public static string VersionForErrors(ReadOnlySpan<byte> json)
    {
        try
        {
            var v = RequestedVersion(json);
            return CniVersion.IsSupported(v) ? v : CniVersion.Current;
        }
        catch (CniException)
        {
            return CniVersion.Current;
        }
    }

    private static JsonDocument Decode(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new CniException(CniErrorCode.DecodeFailure, $"network configuration: not JSON ({e.Message})", "stdin");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new CniException(CniErrorCode.DecodeFailure, "network configuration: not a JSON object", "stdin");
        }
        return document;
    }

    public static NetworkConfig Parse(JsonElement root)
    {
        var version = String(root, "cniVersion") ?? throw Invalid("cniVersion", "is missing");
        if (!CniVersion.IsSupported(version))
            throw new CniException(CniErrorCode.IncompatibleVersion, $"cniVersion: '{version}' is not supported (supported: {string.Join(", ", CniVersion.Supported)})", "cniVersion");
        var name = String(root, "name") ?? throw Invalid("name", "is missing");
        if (!IsValidNetworkName(name)) throw Invalid("name", $"'{name}' must start with a letter or digit, followed by letters, digits, '_', '.' or '-'");
        var type = String(root, "type") ?? throw Invalid("type", "is missing");
        if (type != NetworkConfig.PluginType) throw Invalid("type", $"'{type}' is not {NetworkConfig.PluginType}");

        var modeText = String(root, "mode") ?? throw Invalid("mode", "is missing (\"ila\" or \"vxlan\")");
        var mode = modeText switch
        {
            "ila" => NetworkMode.Ila,
            "vxlan" => NetworkMode.Vxlan,
            _ => throw Invalid("mode", $"'{modeText}' is not one of \"ila\", \"vxlan\""),
        };

        var modeKeys = mode == NetworkMode.Ila ? IlaKeys : VxlanKeys;
        var otherKeys = mode == NetworkMode.Ila ? VxlanKeys : IlaKeys;
        foreach (var property in root.EnumerateObject())
        {
            var key = property.Name;
            if (Array.IndexOf(SpecKeys, key) >= 0 || Array.IndexOf(CommonKeys, key) >= 0 || Array.IndexOf(modeKeys, key) >= 0) continue;
            if (Array.IndexOf(otherKeys, key) >= 0) throw Unsupported(key, $"is a \"{(mode == NetworkMode.Ila ? "vxlan" : "ila")}\" key; this network has mode \"{modeText}\"");
            if (key is "ipam" or "dns") throw Unsupported(key, "xdpnet-cni allocates addresses itself and sets no DNS (chain another plugin for DNS)");
            throw Unsupported(key, "is not a key of xdpnet-cni");
        }

        var socket = String(root, "socket") ?? NetworkConfig.DefaultSocket;
        if (!socket.StartsWith('/')) throw Invalid("socket", $"'{socket}' is not an absolute path to xdpnet's control socket");
        var dataDir = String(root, "dataDir") ?? NetworkConfig.DefaultDataDir;
        if (!dataDir.StartsWith('/')) throw Invalid("dataDir", $"'{dataDir}' is not an absolute path");
        var timeout = Integer(root, "timeoutSeconds") ?? 30;
        if (timeout is < 1 or > 600) throw Invalid("timeoutSeconds", $"{timeout} is not between 1 and 600");

        var mtu = Integer(root, "mtu") ?? (mode == NetworkMode.Vxlan ? 1450 : 1500);

        var (prefix, prefixLength, pool, vni, gateway) = mode == NetworkMode.Ila ? ParseIla(root) : ParseVxlan(root);
        var minMtu = pool.IsIpv6 ? 1280 : 576; // RFC 8200 section 5; RFC 791's minimum datagram a host must accept
        if (mtu < minMtu || mtu > 65535) throw Invalid("mtu", $"{mtu} is not between {minMtu} and 65535");

        var defaultLabels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("labels", out var defaults)) AddLabelStrings(defaultLabels, defaults, "labels");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("args", out var args))
        {
            if (args.ValueKind != JsonValueKind.Object) throw Invalid("args", "is not an object");
            if (args.TryGetProperty("cni", out var cni) && cni.ValueKind == JsonValueKind.Object && cni.TryGetProperty("labels", out var argLabels))
                AddKeyValueObjects(labels, argLabels, "args.cni.labels");
        }
        if (root.TryGetProperty("runtimeConfig", out var runtime))
        {
            if (runtime.ValueKind != JsonValueKind.Object) throw Invalid("runtimeConfig", "is not an object");
            if (runtime.TryGetProperty("labels", out var runtimeLabels))
            {
                if (runtimeLabels.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in runtimeLabels.EnumerateObject())
                    {
                        var key = $"runtimeConfig.labels.{p.Name}";
                        if (p.Value.ValueKind != JsonValueKind.String) throw Invalid(key, "is not a string");
                        AddLabel(labels, p.Name, p.Value.GetString()!, key);
                    }
                }
                else AddLabelStrings(labels, runtimeLabels, "runtimeConfig.labels");
            }
        }

        CniResult? prevResult = null;
        if (root.TryGetProperty("prevResult", out var prev) && prev.ValueKind != JsonValueKind.Null) prevResult = CniResult.Parse(prev);

        return new NetworkConfig
        {
            CniVersion = version,
            Name = name,
            Mode = mode,
            Socket = socket,
            DataDir = dataDir,
            Timeout = TimeSpan.FromSeconds(timeout),
            Mtu = mtu,
            DefaultLabels = defaultLabels,
            RuntimeLabels = labels,
            Pool = pool,
            Prefix = prefix,
            PrefixLength = prefixLength,
            Vni = vni,
            Gateway = gateway,
            PrevResult = prevResult,
        };
    }

    /// <summary>
    /// ILA: <c>sirPrefix</c> an IPv6 /64 (the identifier is the low 64 bits, draft-herbert-ila section 4) and
    /// <c>identifierRange</c> "first-last" in the four-group identifier notation xdpnet's mappings use ("1:0:0:100").
    /// </summary>
    private static (IPAddress, int, AddressPool, int, IPAddress?) ParseIla(JsonElement root)
    {
        var sir = String(root, "sirPrefix") ?? throw Invalid("sirPrefix", "is missing (an IPv6 /64, e.g. 2001:db8:5151::/64)");
        if (!CidrAddress.TryParse(sir, out var sirAddress, out var sirLength) || sirAddress.AddressFamily != AddressFamily.InterNetworkV6)
            throw Invalid("sirPrefix", $"'{sir}' is not an IPv6 prefix");
        if (sirLength != 64) throw Invalid("sirPrefix", $"'{sir}' is not a /64 (an ILA identifier is the low 64 bits of a SIR address)");
        if ((ulong)AddressMath.ToValue(sirAddress) != 0) throw Invalid("sirPrefix", $"'{sir}' has bits set below /64 (the prefix, not an address in it)");
        var network = new IPNetwork(sirAddress, 64);
        var range = String(root, "identifierRange") ?? throw Invalid("identifierRange", "is missing (this host's identifiers, e.g. \"1:0:0:100-1:0:0:1ff\")");
        var dash = range.IndexOf('-');
        if (dash <= 0 || !TryParseIdentifier(range[..dash], out var first) || !TryParseIdentifier(range[(dash + 1)..], out var last))
            throw Invalid("identifierRange", $"'{range}' is not \"first-last\" with identifiers of four hexadecimal groups (1:0:0:100)");
        if (first > last) throw Invalid("identifierRange", $"'{range}': the first identifier is above the last");
        var upper = AddressMath.ToValue(network.BaseAddress) & ~(UInt128)ulong.MaxValue;
        var pool = new AddressPool(AddressFamily.InterNetworkV6, upper | first, upper | last, 128, Excluded: null, SkipNeutralMapUnusable: true);
        var usable = false;
        for (var v = first; ; v++)
        {
            if (pool.IsUsable(upper | v)) { usable = true; break; }
            if (v == last) break;
        }
        if (!usable) throw Invalid("identifierRange", $"'{range}' holds no identifier whose low 16 bits are neither 0000 nor ffff");
        return (network.BaseAddress, 64, pool, 0, NetworkConfig.IlaGateway);
    }

    /// <summary>"1:0:0:100": four groups of up to four hexadecimal digits, the 64-bit identifier.</summary>
    public static bool TryParseIdentifier(string text, out ulong identifier)
    {
        identifier = 0;
        var groups = text.Split(':');
        if (groups.Length != 4) return false;
        foreach (var g in groups)
        {
            if (g.Length is 0 or > 4 || !ushort.TryParse(g, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)) return false;
            identifier = (identifier << 16) | value;
        }
        return true;
    }

    /// <summary>
    /// VXLAN: <c>vni</c> (24 bits, RFC 7348 section 5), <c>subnet</c> of the segment, optional <c>gateway</c> in it (a router
    /// on the segment: the containers' default route), optional <c>rangeStart</c>/<c>rangeEnd</c> so hosts sharing a
    /// segment allocate from disjoint parts of its subnet.
    /// </summary>
    private static (IPAddress, int, AddressPool, int, IPAddress?) ParseVxlan(JsonElement root)
    {
        var vni = Integer(root, "vni") ?? throw Invalid("vni", "is missing (the segment's VNI, 1..16777215)");
        if (vni is < 1 or > 0xFFFFFF) throw Invalid("vni", $"{vni} is not between 1 and 16777215 (24 bits)");
        var subnetText = String(root, "subnet") ?? throw Invalid("subnet", "is missing (the segment's prefix, e.g. 198.18.20.0/24)");
        if (!CidrAddress.TryParse(subnetText, out var baseAddress, out var subnetLength)) throw Invalid("subnet", $"'{subnetText}' is not a prefix (address/length)");
        var family = baseAddress.AddressFamily;
        var bits = family == AddressFamily.InterNetwork ? 32 : 128;
        var network = AddressMath.ToValue(baseAddress);
        var hostMask = AddressMath.HostMask(subnetLength, bits);
        if ((network & hostMask) != 0) throw Invalid("subnet", $"'{subnetText}' has host bits set (the prefix, not an address in it)");
        if (subnetLength > bits - 2) throw Invalid("subnet", $"'{subnetText}' is too small for containers (at most /{bits - 2})");
        var subnet = new IPNetwork(baseAddress, subnetLength);
        // IPv4: the all-zeros and all-ones host parts are the network and broadcast addresses (RFC 919/922). IPv6: the
        // all-zeros one is the Subnet-Router anycast address (RFC 4291 section 2.6.1).
        var first = network + 1;
        var last = family == AddressFamily.InterNetwork ? (network | hostMask) - 1 : network | hostMask;

        IPAddress? gateway = null;
        UInt128? excluded = null;
        var gatewayText = String(root, "gateway");
        if (gatewayText is not null)
        {
            if (!IPAddress.TryParse(gatewayText, out gateway) || gateway.AddressFamily != family) throw Invalid("gateway", $"'{gatewayText}' is not an address of the subnet's family");
            var g = AddressMath.ToValue(gateway);
            if (g < first || g > last) throw Invalid("gateway", $"'{gatewayText}' is not a host address of {subnetText}");
            excluded = g;
        }
        first = Bound(root, "rangeStart", family, first, last, subnetText) ?? first;
        var end = Bound(root, "rangeEnd", family, first, last, subnetText);
        if (end is UInt128 e)
        {
            if (e < first) throw Invalid("rangeEnd", "is below rangeStart");
            last = e;
        }
        var pool = new AddressPool(family, first, last, subnet.PrefixLength, excluded, SkipNeutralMapUnusable: false);
        if (pool.Size == 1 && excluded == first) throw Invalid("gateway", "is the only address of the range");
        return (subnet.BaseAddress, subnet.PrefixLength, pool, vni, gateway);
    }

    private static UInt128? Bound(JsonElement root, string key, AddressFamily family, UInt128 first, UInt128 last, string subnet)
    {
        var text = String(root, key);
        if (text is null) return null;
        if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != family) throw Invalid(key, $"'{text}' is not an address of the subnet's family");
        var value = AddressMath.ToValue(address);
        if (value < first || value > last) throw Invalid(key, $"'{text}' is not a host address of {subnet}");
        return value;
    }

    public static bool IsValidNetworkName(string name) => CniEnvironment.IsValidContainerId(name);

    private static void AddLabelStrings(Dictionary<string, string> labels, JsonElement array, string key)
    {
        if (array.ValueKind != JsonValueKind.Array) throw Invalid(key, "is not an array of \"key=value\" strings");
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var itemKey = $"{key}[{i++}]";
            if (item.ValueKind != JsonValueKind.String) throw Invalid(itemKey, "is not a \"key=value\" string");
            var text = item.GetString()!;
            var eq = text.IndexOf('=');
            if (eq <= 0) throw Invalid(itemKey, $"'{text}' is not key=value");
            AddLabel(labels, text[..eq], text[(eq + 1)..], itemKey);
        }
    }

    /// <summary>CNI CONVENTIONS "args": <c>"labels": [{"key": "app", "value": "web"}]</c>.</summary>
    private static void AddKeyValueObjects(Dictionary<string, string> labels, JsonElement array, string key)
    {
        if (array.ValueKind != JsonValueKind.Array) throw Invalid(key, "is not an array of {\"key\", \"value\"} objects");
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var itemKey = $"{key}[{i++}]";
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("key", out var k) || k.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("value", out var v) || v.ValueKind != JsonValueKind.String)
                throw Invalid(itemKey, "is not a {\"key\": string, \"value\": string} object");
            AddLabel(labels, k.GetString()!, v.GetString()!, itemKey);
        }
    }

    private static void AddLabel(Dictionary<string, string> labels, string key, string value, string configKey)
    {
        var problem = EndpointLabel.Problem(key, value);
        if (problem is not null) throw Invalid(configKey, problem);
        labels[key] = value;
    }

    private static string? String(JsonElement root, string key)
    {
        if (!root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Invalid(key, $"is a {value.ValueKind.ToString().ToLowerInvariant()}, not a string");
    }

    private static int? Integer(JsonElement root, string key)
    {
        if (!root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) ? i : throw Invalid(key, $"'{value.GetRawText()}' is not an integer");
    }

    private static CniException Invalid(string key, string problem) => new(CniErrorCode.InvalidConfig, $"{key}: {problem}", key);

    private static CniException Unsupported(string key, string problem) => new(CniErrorCode.UnsupportedField, $"{key}: {problem}", key);
}
