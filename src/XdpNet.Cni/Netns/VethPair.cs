using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace XdpNet.Cni.Netns;

/// <summary>An address of an interface as <c>ip -j addr</c> reports it.</summary>
internal readonly record struct InterfaceAddress(IPAddress Address, int PrefixLength);

/// <summary>What <c>ip -j addr show</c> says about one interface.</summary>
internal sealed record InterfaceState(string Name, string Mac, int Mtu, bool Up, IReadOnlyList<InterfaceAddress> Addresses);

/// <summary>
/// The container's veth pair: the host end (named from the container, <see cref="HostName"/>) stays in the host
/// namespace where xdpnet attaches to it; the other end is created directly inside the container's namespace under
/// CNI_IFNAME, so a failure never leaves a half-moved interface behind.
/// </summary>
internal static class VethPair
{
    /// <summary>
    /// "xc" + 13 hex digits of SHA-256(network, container ID, interface name): unique per attachment (52 bits), at
    /// most IFNAMSIZ-1 = 15 characters, and computable by DEL without any state.
    /// </summary>
    public static string HostName(string network, string containerId, string ifName) => "xc" + Hash(network, containerId, ifName)[..13];

    /// <summary>
    /// Locally administered unicast MACs (the 0x02 bit of the first octet, IEEE 802 / RFC 7042 section 2.1) derived from the
    /// same hash, so a retried ADD gives the container the same MAC and neighbours' caches stay right.
    /// </summary>
    public static (string Host, string Container) Macs(string network, string containerId, string ifName)
    {
        var h = Convert.FromHexString(Hash(network, containerId, ifName));
        return (Mac(h.AsSpan(8, 5)), Mac(h.AsSpan(16, 5)));
    }

    private static string Mac(ReadOnlySpan<byte> b) =>
        string.Create(CultureInfo.InvariantCulture, $"02:{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}");

    private static string Hash(string network, string containerId, string ifName) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(network + "\0" + containerId + "\0" + ifName)));

    public static void Create(string hostName, string hostMac, string netns, string ifName, string containerMac, int mtu)
    {
        var m = mtu.ToString(CultureInfo.InvariantCulture);
        IpRoute2.RunChecked(null, ["link", "add", "name", hostName, "address", hostMac, "mtu", m, "type", "veth",
            "peer", "name", ifName, "address", containerMac, "mtu", m, "netns", netns]);
    }

    /// <summary>Deletes the host end (the kernel deletes its peer with it); false when it did not exist.</summary>
    public static bool Delete(string hostName)
    {
        var r = IpRoute2.Run(null, ["link", "del", "dev", hostName]);
        if (r.Succeeded) return true;
        if (!Exists(hostName)) return false;
        throw new Protocol.CniException(Protocol.CniErrorCode.InterfaceFailure, $"'ip link del dev {hostName}' failed: {r.StdErr.Trim()}", hostName);
    }

    public static bool Exists(string hostName) => IpRoute2.Run(null, ["link", "show", "dev", hostName]).Succeeded;

    /// <summary>The state of <paramref name="name"/> in <paramref name="netns"/> (null: the host's), or null when it does not exist.</summary>
    public static InterfaceState? Inspect(string? netns, string name)
    {
        var r = IpRoute2.Run(netns, ["-j", "addr", "show", "dev", name]);
        if (!r.Succeeded) return null;
        using var doc = JsonDocument.Parse(r.StdOut);
        foreach (var link in doc.RootElement.EnumerateArray())
        {
            var addresses = new List<InterfaceAddress>();
            if (link.TryGetProperty("addr_info", out var infos))
            {
                foreach (var a in infos.EnumerateArray())
                {
                    if (a.TryGetProperty("local", out var local) && IPAddress.TryParse(local.GetString(), out var address))
                        addresses.Add(new InterfaceAddress(address, a.GetProperty("prefixlen").GetInt32()));
                }
            }
            var up = false;
            if (link.TryGetProperty("flags", out var flags))
            {
                foreach (var f in flags.EnumerateArray()) up |= f.GetString() == "UP";
            }
            return new InterfaceState(
                link.GetProperty("ifname").GetString()!,
                link.TryGetProperty("address", out var mac) ? mac.GetString()! : "",
                link.TryGetProperty("mtu", out var mtu) ? mtu.GetInt32() : 0,
                up,
                addresses);
        }
        return null;
    }

    /// <summary>Gateways of the default routes on <paramref name="name"/> in <paramref name="netns"/>, both families.</summary>
    public static IReadOnlyList<(string Dst, string? Gateway)> DefaultRoutes(string netns, string name)
    {
        var routes = new List<(string, string?)>();
        foreach (var family in new[] { "-4", "-6" })
        {
            var r = IpRoute2.Run(netns, ["-j", family, "route", "show", "default", "dev", name]);
            if (!r.Succeeded || r.StdOut.Trim().Length == 0) continue;
            using var doc = JsonDocument.Parse(r.StdOut);
            foreach (var route in doc.RootElement.EnumerateArray())
            {
                routes.Add((family == "-4" ? "0.0.0.0/0" : "::/0", route.TryGetProperty("gateway", out var gw) ? gw.GetString() : null));
            }
        }
        return routes;
    }
}
