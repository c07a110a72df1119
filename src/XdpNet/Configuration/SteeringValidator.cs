namespace XdpNet.Configuration;

/// <summary>Interfaces:N:Steering — the mode and, for "rules", what is owned; Exclude in every mode.</summary>
internal static class SteeringValidator
{
    public static void Validate(ValidationContext context, SteeringConfig steering, string key)
    {
        if (!ConfigNames.IsOneOf(steering.Mode, ConfigNames.SteeringModes))
        {
            context.Add($"{key}:Mode", $"'{steering.Mode}' is not one of {ConfigNames.Describe(ConfigNames.SteeringModes)}");
        }
        var rules = ConfigNames.Is(steering.Mode, "rules");

        for (var i = 0; i < steering.Ethertypes.Count; i++)
        {
            if (!ConfigSyntax.TryParseEthertype(steering.Ethertypes[i], out _))
                context.Add($"{key}:Ethertypes:{i}", $"'{steering.Ethertypes[i]}' is not an ethertype (0x0600..0xffff, hex with 0x or decimal)");
        }
        for (var i = 0; i < steering.Prefixes.Count; i++)
        {
            if (!ConfigSyntax.TryParsePrefix(steering.Prefixes[i], out _, out var problem))
                context.Add($"{key}:Prefixes:{i}", problem);
        }
        for (var i = 0; i < steering.UdpPorts.Count; i++)
        {
            if (steering.UdpPorts[i] is < 1 or > 65535)
                context.Add($"{key}:UdpPorts:{i}", $"{steering.UdpPorts[i]} is not a port (1..65535)");
        }
        for (var i = 0; i < steering.Exclude.Count; i++)
        {
            if (!ConfigSyntax.TryParsePrefix(steering.Exclude[i], out _, out var problem))
                context.Add($"{key}:Exclude:{i}", problem);
        }

        if (rules)
        {
            if (steering.Ethertypes.Count == 0 && steering.Prefixes.Count == 0 && steering.UdpPorts.Count == 0)
                context.Add($"{key}:Mode", "mode \"rules\" needs at least one of Ethertypes, Prefixes or UdpPorts");
        }
        else if (ConfigNames.IsOneOf(steering.Mode, ConfigNames.SteeringModes))
        {
            // Lists that only mode "rules" reads would be silently ignored: refuse them instead.
            if (steering.Ethertypes.Count > 0) context.Add($"{key}:Ethertypes", $"only used with Mode \"rules\" (mode is \"{steering.Mode}\")");
            if (steering.Prefixes.Count > 0) context.Add($"{key}:Prefixes", $"only used with Mode \"rules\" (mode is \"{steering.Mode}\")");
            if (steering.UdpPorts.Count > 0) context.Add($"{key}:UdpPorts", $"only used with Mode \"rules\" (mode is \"{steering.Mode}\")");
        }
    }
}
