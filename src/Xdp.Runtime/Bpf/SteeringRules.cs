using System.Net.Sockets;

namespace Xdp.Runtime.Bpf;

/// <summary>
/// Which frames the data plane owns (configuration side; compile it into a <see cref="SteeringDecider"/> or
/// hand it to <see cref="XdpSteeringProgram"/>). With neither <see cref="OwnAll"/> nor <see cref="PassAll"/>,
/// the first match wins in this order: <see cref="UdpPorts"/> (owned), the longest of
/// <see cref="Prefixes"/> matching the destination (own or pass), <see cref="EtherTypes"/> (owned),
/// otherwise the kernel. UDP ports come first so that VXLAN to the host's own VTEP address is owned even
/// though that address is a "pass" /32 keeping the host's other traffic in the kernel.
/// </summary>
public sealed class SteeringRules
{
    // Capacities of the BPF maps (max_entries in bpf/xdp-redirect.bpf.c).
    internal const int MaxEtherTypes = 64;
    internal const int MaxPrefixesPerFamily = 4096;
    internal const int MaxUdpPorts = 256;

    /// <summary>Every frame goes to the data plane.</summary>
    public bool OwnAll { get; set; }

    /// <summary>Every frame goes to the kernel (the program is attached but steers nothing).</summary>
    public bool PassAll { get; set; }

    /// <summary>Ethertypes (host order, e.g. 0x0806 for ARP) owned after up to two VLAN tags.</summary>
    public List<ushort> EtherTypes { get; init; } = [];

    /// <summary>IPv4 and IPv6 destination prefixes; the longest match decides.</summary>
    public List<SteeringPrefix> Prefixes { get; init; } = [];

    /// <summary>
    /// ARP requests are owned (the data plane answers for the addresses it routes) while ARP replies stay with the
    /// kernel, which still resolves its own next hops. Checked before <see cref="EtherTypes"/>.
    /// </summary>
    public bool OwnArpRequests { get; set; }

    /// <summary>Owned UDP destination ports (host order, e.g. 4789 for VXLAN).</summary>
    public List<ushort> UdpPorts { get; init; } = [];

    /// <summary>Checks the rules and builds the allocation-free decider mirroring the BPF program.</summary>
    /// <exception cref="ArgumentException">Conflicting or out-of-capacity rules; the message names the key.</exception>
    public SteeringDecider Compile() => new(this);

    internal void Validate()
    {
        if (OwnAll && PassAll)
        {
            throw new ArgumentException("Steering: OwnAll and PassAll are both set.", nameof(OwnAll));
        }

        if (EtherTypes.Count > MaxEtherTypes)
        {
            throw new ArgumentException($"Steering: EtherTypes has {EtherTypes.Count} entries, at most {MaxEtherTypes} are supported.", nameof(EtherTypes));
        }

        if (UdpPorts.Count > MaxUdpPorts)
        {
            throw new ArgumentException($"Steering: UdpPorts has {UdpPorts.Count} entries, at most {MaxUdpPorts} are supported.", nameof(UdpPorts));
        }

        var seen = new Dictionary<System.Net.IPNetwork, SteeringAction>();
        int v4 = 0, v6 = 0;
        foreach (var prefix in Prefixes)
        {
            if (prefix.Action is not (SteeringAction.Own or SteeringAction.Pass))
            {
                throw new ArgumentException($"Steering: Prefixes entry {prefix.Network} has action {(int)prefix.Action}; expected Own or Pass.", nameof(Prefixes));
            }

            var family = prefix.Network.BaseAddress.AddressFamily;
            if (family == AddressFamily.InterNetwork)
            {
                v4++;
            }
            else if (family == AddressFamily.InterNetworkV6)
            {
                v6++;
            }
            else
            {
                throw new ArgumentException($"Steering: Prefixes entry {prefix.Network} is neither IPv4 nor IPv6.", nameof(Prefixes));
            }

            if (seen.TryGetValue(prefix.Network, out var other) && other != prefix.Action)
            {
                throw new ArgumentException($"Steering: Prefixes lists {prefix.Network} both as {other} and as {prefix.Action}.", nameof(Prefixes));
            }

            seen[prefix.Network] = prefix.Action;
        }

        if (v4 > MaxPrefixesPerFamily || v6 > MaxPrefixesPerFamily)
        {
            throw new ArgumentException($"Steering: Prefixes has {v4} IPv4 and {v6} IPv6 entries, at most {MaxPrefixesPerFamily} per family are supported.", nameof(Prefixes));
        }
    }
}
