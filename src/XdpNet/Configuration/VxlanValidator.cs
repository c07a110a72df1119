using System.Net;
using System.Net.Sockets;

namespace XdpNet.Configuration;

/// <summary>
/// Vxlan: a VTEP address and one uplink when segments exist; port and source-port range; 24-bit VNIs, each once;
/// members that are local interfaces in one segment only; flood and FDB VTEPs of the VTEP's family; unicast FDB MACs
/// given once per segment; group policy IDs of 16 bits for members.
/// </summary>
internal sealed class VxlanValidator : IConfigSectionValidator
{
    public void Validate(ValidationContext context)
    {
        var config = context.Config;
        var vxlan = config.Vxlan;
        if (vxlan.Port is < 1 or > 65535) context.Add("Vxlan:Port", $"{vxlan.Port} is not a UDP port (1..65535)");
        if (vxlan.SourcePortMin is < 1 or > 65535) context.Add("Vxlan:SourcePortMin", $"{vxlan.SourcePortMin} is not a UDP port (1..65535)");
        if (vxlan.SourcePortMax is < 1 or > 65535) context.Add("Vxlan:SourcePortMax", $"{vxlan.SourcePortMax} is not a UDP port (1..65535)");
        else if (vxlan.SourcePortMax < vxlan.SourcePortMin) context.Add("Vxlan:SourcePortMax", $"{vxlan.SourcePortMax} is below SourcePortMin {vxlan.SourcePortMin}");
        if (vxlan.Ttl is < 1 or > 255) context.Add("Vxlan:Ttl", $"{vxlan.Ttl} must be between 1 and 255");
        if (vxlan.AgeingSeconds < 1) context.Add("Vxlan:AgeingSeconds", $"{vxlan.AgeingSeconds} must be at least 1");
        if (vxlan.MaxLearned is < 1 or > MaxLearnedLimit) context.Add("Vxlan:MaxLearned", $"{vxlan.MaxLearned} must be between 1 and {MaxLearnedLimit} (each entry takes two 48-byte slots)");
        if (vxlan.Segments.Count == 0) return;

        AddressFamily? family = null;
        IPAddress? own = null;
        if (string.IsNullOrWhiteSpace(vxlan.Vtep)) context.Add("Vxlan:Vtep", "this host's VTEP address is required when segments are configured");
        else if (!IsUsable(vxlan.Vtep, out var vtep))
            context.Add("Vxlan:Vtep", $"'{vxlan.Vtep}' is not an IPv4 or global IPv6 address");
        else if (UnicastProblem(vtep) is { } problem)
            context.Add("Vxlan:Vtep", $"'{vxlan.Vtep}' is {problem}; a VTEP needs a unicast address of the uplink");
        else
        {
            family = vtep.AddressFamily;
            own = vtep;
        }

        var uplinks = config.Interfaces.FindAll(i => i.Role == "uplink");
        if (uplinks.Count != 1)
            context.Add("Vxlan:Segments", $"VXLAN needs exactly one interface with Role 'uplink' (the underlay); there are {uplinks.Count}");

        var vnis = new HashSet<int>();
        var memberOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var s = 0; s < vxlan.Segments.Count; s++)
        {
            var segment = vxlan.Segments[s];
            var key = $"Vxlan:Segments:{s}";
            if (segment.Vni is < 0 or > 0xFF_FFFF) context.Add($"{key}:Vni", $"{segment.Vni} is not a VNI (0..16777215, 24 bits)");
            else if (!vnis.Add(segment.Vni)) context.Add($"{key}:Vni", $"{segment.Vni} is already the VNI of another segment");

            // A segment may start without members: containers join it live through the endpoint API (xdpnet-cni with a VNI).
            for (var m = 0; m < segment.Interfaces.Count; m++)
            {
                var name = segment.Interfaces[m];
                var iface = config.Interfaces.Find(i => i.Name == name);
                if (iface is null) context.Add($"{key}:Interfaces:{m}", $"'{name}' is not a configured interface");
                else if (iface.Role != "local") context.Add($"{key}:Interfaces:{m}", $"'{name}' has Role '{iface.Role}'; segment members are 'local' interfaces (container veths)");
                else if (!memberOf.TryAdd(name, s)) context.Add($"{key}:Interfaces:{m}", $"'{name}' is already a member of segment {memberOf[name]} (an interface belongs to one segment)");
            }
            for (var f = 0; f < segment.Flood.Count; f++) Vtep(context, $"{key}:Flood:{f}", segment.Flood[f], family, own);

            var macs = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (var e = 0; e < segment.Fdb.Count; e++)
            {
                var entry = segment.Fdb[e];
                var ekey = $"{key}:Fdb:{e}";
                if (!ConfigSyntax.TryParseMac(entry.Mac, out var mac))
                    context.Add($"{ekey}:Mac", $"'{entry.Mac}' is not a MAC address (six hex pairs, e.g. 02:00:00:00:00:02)");
                else if (!ConfigSyntax.IsUnicastMac(mac))
                    context.Add($"{ekey}:Mac", $"'{entry.Mac}' is a multicast or zero address; flooding is configured with Flood");
                else if (!macs.Add(Convert.ToHexString(mac)))
                    context.Add($"{ekey}:Mac", $"'{entry.Mac}' has another entry in this segment");
                Vtep(context, $"{ekey}:Vtep", entry.Vtep, family, own);
            }
            foreach (var (name, id) in segment.GroupPolicy)
            {
                if (!segment.Interfaces.Contains(name)) context.Add($"{key}:GroupPolicy:{name}", $"'{name}' is not a member of this segment");
                if (id is < 0 or > 0xFFFF) context.Add($"{key}:GroupPolicy:{name}", $"{id} is not a Group Policy ID (0..65535)");
            }
        }
    }

    /// <summary>An IPv4 or IPv6 address without a zone (a VTEP is reached by routing, never by a link-local scope).</summary>
    private static bool IsUsable(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address) =>
        IPAddress.TryParse(text, out address)
        && (address.AddressFamily == AddressFamily.InterNetwork || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId == 0 && !address.IsIPv6LinkLocal));

    /// <summary>Learned entries take two slots of about 48 bytes each: the limit keeps the table near 100 MB.</summary>
    internal const int MaxLearnedLimit = 1_048_576;

    /// <summary>Why an address cannot be a tunnel endpoint (unspecified, broadcast, multicast, loopback), or null.</summary>
    private static string? UnicastProblem(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            if (address.Equals(IPAddress.Any)) return "the unspecified address";
            if (address.Equals(IPAddress.Broadcast)) return "the broadcast address";
            if (bytes[0] >= 224) return "a multicast or reserved address";
            if (bytes[0] == 127) return "a loopback address";
            return null;
        }
        if (address.Equals(IPAddress.IPv6Any)) return "the unspecified address";
        if (bytes[0] == 0xFF) return "a multicast address";
        if (address.Equals(IPAddress.IPv6Loopback)) return "the loopback address";
        return null;
    }

    private static void Vtep(ValidationContext context, string key, string text, AddressFamily? family, IPAddress? own)
    {
        if (!IsUsable(text, out var address))
        {
            context.Add(key, $"'{text}' is not an IPv4 or global IPv6 address");
            return;
        }
        if (family is { } f && address.AddressFamily != f)
            context.Add(key, $"'{text}' is not of the underlay's family (Vxlan:Vtep is {(f == AddressFamily.InterNetwork ? "IPv4" : "IPv6")})");
        if (UnicastProblem(address) is { } problem)
            context.Add(key, $"'{text}' is {problem}; head-end replication sends unicast copies to each remote VTEP");
        else if (own is not null && address.Equals(own))
            context.Add(key, $"'{text}' is this host's own VTEP (Vxlan:Vtep); list remote VTEPs only");
    }
}
