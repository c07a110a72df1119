using System.Net;
using System.Net.Sockets;
using XdpNet.Cni.Configuration;
using XdpNet.Cni.Control;
using XdpNet.Cni.Ipam;
using XdpNet.Cni.Netns;
using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Plugin;

/// <summary>
/// ADD, DEL and CHECK of one attachment (network, container, interface). ADD allocates, plumbs, registers, and on
/// any failure undoes what it did in reverse order, so a failed ADD leaves nothing behind (CNI 1.0: the runtime
/// treats a failed ADD as never attached). DEL undoes everything that exists and treats what is missing as done.
/// </summary>
internal sealed class CniPlugin(NetworkConfig config, CniEnvironment env, TextWriter log)
{
    private readonly string _hostName = VethPair.HostName(config.Name, env.ContainerId, env.IfName);

    private AddressStore Store => new(config.DataDir, config.Name, config.Pool, config.Timeout);

    private ControlClient Control => new(config.Socket, config.Timeout);

    /// <summary>The endpoint's name in xdpnet: the host interface's, unique per attachment and derivable by DEL.</summary>
    public string EndpointName => _hostName;

    public CniResult Add()
    {
        if (!Path.Exists(env.NetNs))
            throw new CniException(CniErrorCode.UnknownContainer, $"CNI_NETNS: {env.NetNs} does not exist", env.NetNs);
        var labels = EndpointLabels.Merge(config, env.Args);
        // Checked before anything is created; the registration below still rolls back if xdpnet goes away meanwhile.
        if (!Path.Exists(config.Socket))
            throw new CniException(CniErrorCode.TryAgainLater, $"socket: {config.Socket} does not exist (is xdpnet running?)", config.Socket);
        if (VethPair.Exists(_hostName))
            throw new CniException(CniErrorCode.InterfaceFailure,
                $"host interface {_hostName} of this attachment already exists (an earlier ADD without DEL?)", _hostName);

        var store = Store;
        var address = store.Allocate(env.ContainerId, env.IfName);
        var created = false;
        var registered = false;
        try
        {
            var (hostMac, containerMac) = VethPair.Macs(config.Name, env.ContainerId, env.IfName);
            VethPair.Create(_hostName, hostMac, env.NetNs, env.IfName, containerMac, config.Mtu);
            created = true;
            ConfigureContainer(address);
            ConfigureHost();
            var hostAddress = address + (address.AddressFamily == AddressFamily.InterNetwork ? "/32" : "/128");
            var registration = new EndpointRegistration(_hostName, _hostName, containerMac, [hostAddress], labels,
                config.Mode == NetworkMode.Vxlan ? config.Vni : null);
            try
            {
                Control.Add(registration);
            }
            catch (ControlUnavailableException e)
            {
                throw new CniException(CniErrorCode.TryAgainLater, $"socket: {e.Message}", config.Socket, e);
            }
            registered = true;
            return Result(address, hostMac, containerMac);
        }
        catch (Exception failure)
        {
            Rollback(registered, created, failure);
            throw;
        }
    }

    private void Rollback(bool registered, bool created, Exception failure)
    {
        log.WriteLine($"xdpnet-cni: ADD {env.ContainerId}/{env.IfName} failed ({failure.Message}); rolling back");
        if (registered) Try("endpoint del", () => Control.Delete(_hostName));
        if (created) Try("veth delete", () => VethPair.Delete(_hostName));
        Try("address release", () => Store.Release(env.ContainerId, env.IfName));
    }

    private void Try(string what, Action action)
    {
        try
        {
            action();
        }
#pragma warning disable CA1031 // best effort: the original failure is what the runtime must see
        catch (Exception e)
#pragma warning restore CA1031
        {
            log.WriteLine($"xdpnet-cni: {what} failed: {e.Message}");
        }
    }

    private int PrefixLengthInContainer(IPAddress address) => config.Mode == NetworkMode.Ila ? 128 : config.PrefixLength;

    /// <summary>
    /// In the container, one <c>ip -batch</c>: the interface up, its address (IPv6 without duplicate address detection:
    /// the address is ours by allocation, and DAD would hold it tentative for a second), the default route. ILA: the
    /// SIR address as /128 and the default route via fe80::1 on the host end, so every destination goes through xdpnet.
    /// </summary>
    private void ConfigureContainer(IPAddress address)
    {
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var lines = new List<string>
        {
            $"link set dev {env.IfName} up",
            $"addr add {CidrAddress.Format(address, PrefixLengthInContainer(address))} dev {env.IfName}{(v6 ? " nodad" : "")}",
        };
        if (config.Gateway is not null) lines.Add($"route add default via {config.Gateway} dev {env.IfName}");
        IpRoute2.RunChecked(env.NetNs, ["-batch", "-"], string.Join('\n', lines) + "\n");
    }

    /// <summary>The host end up; in ILA mode it holds fe80::1, the containers' gateway.</summary>
    private void ConfigureHost()
    {
        if (config.Mode == NetworkMode.Ila)
            IpRoute2.RunChecked(null, ["addr", "add", NetworkConfig.IlaGateway + "/64", "dev", _hostName, "nodad"]);
        IpRoute2.RunChecked(null, ["link", "set", "dev", _hostName, "up"]);
    }

    private CniResult Result(IPAddress address, string hostMac, string containerMac)
    {
        var interfaces = new[]
        {
            new CniInterface(_hostName, hostMac, null),
            new CniInterface(env.IfName, containerMac, env.NetNs),
        };
        var gateway = config.Gateway?.ToString();
        var ips = new[] { new CniIp(CidrAddress.Format(address, PrefixLengthInContainer(address)), gateway, 1) };
        var routes = gateway is null
            ? Array.Empty<CniRoute>()
            : [new CniRoute(config.Gateway!.AddressFamily == AddressFamily.InterNetwork ? "0.0.0.0/0" : "::/0", gateway)];
        return new CniResult(config.CniVersion, interfaces, ips, routes);
    }

    /// <summary>
    /// Unregisters, deletes the veth (with it the container end) and releases the address; whatever is already gone
    /// counts as done. xdpnet not running is not an error: it drops a saved endpoint whose interface is gone when it
    /// starts again, and the veth is gone once DEL is done.
    /// </summary>
    public void Del()
    {
        CniException? refused = null;
        try
        {
            Control.Delete(_hostName);
        }
        catch (ControlUnavailableException e)
        {
            log.WriteLine($"xdpnet-cni: DEL {env.ContainerId}/{env.IfName}: {e.Message}; nothing to unregister");
        }
        catch (CniException e)
        {
            refused = e; // finish the local clean-up first, then report it
        }
        VethPair.Delete(_hostName);
        Store.Release(env.ContainerId, env.IfName);
        if (refused is not null) throw refused;
    }

    /// <summary>
    /// Compares the attachment with prevResult: the host end exists and is up, the container interface has the MAC,
    /// addresses and default routes ADD reported, the addresses are still allocated to this container, and xdpnet
    /// has the endpoint on this interface. Returns nothing on success (CNI 1.0: CHECK prints nothing).
    /// </summary>
    public void Check()
    {
        var prev = config.PrevResult ?? throw new CniException(CniErrorCode.InvalidConfig, "prevResult: is missing (CHECK needs the result of ADD)", "prevResult");
        if (!Path.Exists(env.NetNs))
            throw new CniException(CniErrorCode.UnknownContainer, $"CNI_NETNS: {env.NetNs} does not exist", env.NetNs);

        var host = VethPair.Inspect(null, _hostName) ?? throw Failed($"host interface {_hostName} does not exist");
        if (!host.Up) throw Failed($"host interface {_hostName} is down");

        var sandboxIndex = -1;
        for (var i = 0; i < prev.Interfaces.Count; i++)
        {
            if (prev.Interfaces[i].Name == env.IfName && prev.Interfaces[i].Sandbox is not null) sandboxIndex = i;
        }
        if (sandboxIndex < 0) throw new CniException(CniErrorCode.InvalidConfig, $"prevResult.interfaces: no sandbox interface {env.IfName}", "prevResult.interfaces");
        var expected = prev.Interfaces[sandboxIndex];
        var inside = VethPair.Inspect(env.NetNs, env.IfName) ?? throw Failed($"{env.IfName} does not exist in {env.NetNs}");
        if (!inside.Up) throw Failed($"{env.IfName} in {env.NetNs} is down");
        if (!string.Equals(inside.Mac, expected.Mac, StringComparison.OrdinalIgnoreCase))
            throw Failed($"{env.IfName} has MAC {inside.Mac}, ADD gave {expected.Mac}");

        var allocated = Store.Find(env.ContainerId, env.IfName);
        foreach (var ip in prev.Ips)
        {
            if (ip.Interface != sandboxIndex) continue;
            if (!CidrAddress.TryParse(ip.Address, out var address, out var prefixLength))
                throw new CniException(CniErrorCode.InvalidConfig, $"prevResult.ips: '{ip.Address}' is not an address in CIDR form", "prevResult.ips");
            if (!inside.Addresses.Contains(new InterfaceAddress(address, prefixLength)))
                throw Failed($"{env.IfName} lacks {ip.Address}");
            if (!allocated.Contains(address))
                throw Failed($"{address} is not allocated to {env.ContainerId}/{env.IfName} in {Store.Directory}");
        }

        var routes = VethPair.DefaultRoutes(env.NetNs, env.IfName);
        foreach (var route in prev.Routes)
        {
            if (route.Dst is not ("0.0.0.0/0" or "::/0")) continue;
            var found = false;
            foreach (var (dst, gw) in routes) found |= dst == route.Dst && (route.Gw is null || gw == route.Gw);
            if (!found) throw Failed($"{env.IfName} has no default route {route.Dst} via {route.Gw}");
        }

        RegisteredEndpoint(host, prev, sandboxIndex);
    }

    /// <summary>xdpnet serves the endpoint on the host end with every address ADD reported for the container.</summary>
    private void RegisteredEndpoint(InterfaceState host, CniResult prev, int sandboxIndex)
    {
        System.Text.Json.JsonDocument? endpoint;
        try
        {
            endpoint = Control.Get(_hostName);
        }
        catch (ControlUnavailableException e)
        {
            throw Failed($"xdpnet is not reachable: {e.Message}");
        }
        using (endpoint)
        {
            if (endpoint is null) throw Failed($"xdpnet has no endpoint {_hostName}");
            var root = endpoint.RootElement;
            if (root.TryGetProperty("interface", out var iface) && iface.GetString() != host.Name)
                throw Failed($"xdpnet's endpoint {_hostName} is on {iface.GetString()}, not {host.Name}");
            var registered = new HashSet<IPAddress>();
            if (root.TryGetProperty("addresses", out var addresses) && addresses.ValueKind == System.Text.Json.JsonValueKind.Array)
            {
                foreach (var a in addresses.EnumerateArray())
                {
                    var text = a.GetString() ?? "";
                    var slash = text.IndexOf('/');
                    if (IPAddress.TryParse(slash < 0 ? text : text[..slash], out var parsed)) registered.Add(parsed);
                }
            }
            foreach (var ip in prev.Ips)
            {
                if (ip.Interface == sandboxIndex && CidrAddress.TryParse(ip.Address, out var address, out _) && !registered.Contains(address))
                    throw Failed($"xdpnet's endpoint {_hostName} lacks {address}");
            }
        }
    }

    private static CniException Failed(string problem) => new(CniErrorCode.CheckFailed, "CHECK: " + problem, problem);
}
