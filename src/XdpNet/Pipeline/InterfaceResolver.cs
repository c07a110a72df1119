using Xdp.Runtime.Wire;
using XdpNet.Configuration;

namespace XdpNet.Pipeline;

/// <summary>Looks up the configured interfaces: kernel index and MAC (sysfs), or the configured MAC.</summary>
public static class InterfaceResolver
{
    /// <summary>
    /// Live mode (<paramref name="requireKernel"/>): every interface must exist. Offline: a missing interface is
    /// fine if the configuration gives its MAC. Problems come back as <see cref="ConfigError"/>s naming the key.
    /// </summary>
    public static IReadOnlyList<ResolvedInterface> Resolve(HostConfig config, bool requireKernel, List<ConfigError> errors)
    {
        var result = new List<ResolvedInterface>();
        for (var i = 0; i < config.Interfaces.Count; i++)
        {
            var iface = config.Interfaces[i];
            var key = $"Interfaces:{i}";
            var sys = Path.Combine("/sys/class/net", iface.Name);
            var exists = iface.Name.Length > 0 && Directory.Exists(sys);
            if (requireKernel && !exists)
            {
                errors.Add(new ConfigError($"{key}:Name", $"interface '{iface.Name}' does not exist in this network namespace"));
                continue;
            }
            var kernelIndex = exists && int.TryParse(File.ReadAllText(Path.Combine(sys, "ifindex")).Trim(), out var idx) ? idx : 0;
            MacAddress mac;
            if (iface.Mac is not null)
            {
                if (!MacAddress.TryParse(iface.Mac, out mac))
                {
                    errors.Add(new ConfigError($"{key}:Mac", $"'{iface.Mac}' is not a MAC address"));
                    continue;
                }
            }
            else if (!exists || !MacAddress.TryParse(File.ReadAllText(Path.Combine(sys, "address")).Trim(), out mac))
            {
                errors.Add(new ConfigError($"{key}:Mac", $"no MAC configured and interface '{iface.Name}' does not exist to read it from"));
                continue;
            }
            // The kernel's MTU unless the configuration says otherwise: a VXLAN uplink set to 1600 must not be taken for 1500.
            var mtu = iface.Mtu ?? (exists && int.TryParse(File.ReadAllText(Path.Combine(sys, "mtu")).Trim(), out var kernelMtu) ? kernelMtu : 1500);
            var room = config.Umem.FrameSize - UmemRules.XdpPacketHeadroom - config.Umem.Headroom;
            if (iface.Mtu is null && mtu + UmemRules.EthernetHeader > room)
            {
                errors.Add(new ConfigError($"{key}:Mtu", $"interface '{iface.Name}' has MTU {mtu} in the kernel; a frame of that size does not fit the {room} bytes "
                    + $"a {config.Umem.FrameSize}-byte UMEM frame leaves after headroom: set Interfaces:{i}:Mtu lower or Umem:FrameSize higher"));
                continue;
            }
            result.Add(new ResolvedInterface(i, iface.Name, kernelIndex, mac, mtu));
        }
        return result;
    }
}
