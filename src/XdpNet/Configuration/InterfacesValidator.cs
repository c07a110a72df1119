namespace XdpNet.Configuration;

/// <summary>Interfaces: names, roles, queues, bind/attach modes, MAC, MTU and steering.</summary>
internal sealed class InterfacesValidator : IConfigSectionValidator
{
    /// <summary>IFNAMSIZ is 16 including the terminating NUL (linux/if.h).</summary>
    private const int MaxInterfaceNameLength = 15;

    public void Validate(ValidationContext context)
    {
        var interfaces = context.Config.Interfaces;
        if (interfaces.Count == 0)
        {
            context.Add("Interfaces", "at least one interface is required");
            return;
        }

        for (var i = 0; i < interfaces.Count; i++)
        {
            var itf = interfaces[i];
            var key = $"Interfaces:{i}";
            ValidateName(context, itf, i, key);

            if (!ConfigNames.IsOneOf(itf.Role, ConfigNames.Roles))
                context.Add($"{key}:Role", $"'{itf.Role}' is not one of {ConfigNames.Describe(ConfigNames.Roles)}");
            if (!ConfigNames.IsOneOf(itf.Bind, ConfigNames.BindModes))
                context.Add($"{key}:Bind", $"'{itf.Bind}' is not one of {ConfigNames.Describe(ConfigNames.BindModes)}");
            if (!ConfigNames.IsOneOf(itf.Attach, ConfigNames.AttachModes))
                context.Add($"{key}:Attach", $"'{itf.Attach}' is not one of {ConfigNames.Describe(ConfigNames.AttachModes)}");

            ValidateQueues(context, itf, key);

            if (itf.Mac is not null)
            {
                if (!ConfigSyntax.TryParseMac(itf.Mac, out var mac))
                    context.Add($"{key}:Mac", $"'{itf.Mac}' is not a MAC address (six hex pairs, e.g. 02:00:00:00:00:01)");
                else if (!ConfigSyntax.IsUnicastMac(mac))
                    context.Add($"{key}:Mac", $"'{itf.Mac}' is a multicast or zero address; an interface needs a unicast MAC");
            }

            ValidateMtu(context, itf, key);
            SteeringValidator.Validate(context, itf.Steering, $"{key}:Steering");
        }
    }

    private static void ValidateName(ValidationContext context, InterfaceConfig itf, int index, string key)
    {
        if (string.IsNullOrEmpty(itf.Name))
        {
            context.Add($"{key}:Name", "an interface name is required");
            return;
        }
        if (itf.Name.Length > MaxInterfaceNameLength || itf.Name is "." or ".." || itf.Name.AsSpan().IndexOfAny("/: \t") >= 0)
        {
            context.Add($"{key}:Name", $"'{itf.Name}' is not a valid Linux interface name (at most {MaxInterfaceNameLength} characters, no '/', ':' or whitespace)");
            return;
        }
        var first = context.InterfaceIndex(itf.Name);
        if (first != index)
        {
            context.Add($"{key}:Name", $"'{itf.Name}' is already used by Interfaces:{first}");
        }
    }

    private static void ValidateQueues(ValidationContext context, InterfaceConfig itf, string key)
    {
        if (itf.Queues.Count == 0)
        {
            context.Add($"{key}:Queues", "at least one queue is required");
            return;
        }
        for (var q = 0; q < itf.Queues.Count; q++)
        {
            var queue = itf.Queues[q];
            if (queue < 0)
            {
                context.Add($"{key}:Queues:{q}", $"queue {queue} is negative");
            }
            else if (itf.Queues.IndexOf(queue) != q)
            {
                context.Add($"{key}:Queues:{q}", $"queue {queue} is listed twice");
            }
        }
    }

    private static void ValidateMtu(ValidationContext context, InterfaceConfig itf, string key)
    {
        // RFC 791 §3.2: every IPv4 host must accept 68-byte datagrams; 9000 is the common jumbo ceiling.
        // Absent: the kernel's MTU, checked against the frame when the interface is resolved.
        if (itf.Mtu is not int configured) return;
        if (configured is < 68 or > 9000)
        {
            context.Add($"{key}:Mtu", $"{itf.Mtu} is outside 68..9000");
            return;
        }
        var umem = context.Config.Umem;
        var room = umem.FrameSize - UmemRules.XdpPacketHeadroom - umem.Headroom;
        // Only meaningful once the frame layout itself is valid; otherwise Umem:* already names the problem.
        if (UmemValidator.IsLayoutValid(umem, context.Limits) && itf.Mtu + UmemRules.EthernetHeader > room)
        {
            context.Add($"{key}:Mtu", $"a {itf.Mtu}-byte packet plus its {UmemRules.EthernetHeader}-byte Ethernet header does not fit the {room} bytes a "
                + $"{umem.FrameSize}-byte frame leaves after {UmemRules.XdpPacketHeadroom} (XDP_PACKET_HEADROOM) + {umem.Headroom} (Umem:Headroom) bytes; "
                + "frames span one page and multi-buffer is not supported");
        }
    }
}
