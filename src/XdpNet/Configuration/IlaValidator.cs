using Xdp.Ila;

namespace XdpNet.Configuration;

/// <summary>
/// Ila:Domains — /64 SIR prefixes and locators, known checksum modes, parseable identifiers that survive the
/// chosen mode (low 16 bits 0x0000/0xFFFF do not in the checksum-neutral modes), no identifier twice in a domain.
/// </summary>
internal sealed class IlaValidator : IConfigSectionValidator
{
    public void Validate(ValidationContext context)
    {
        var ila = context.Config.Ila;
        if (!ConfigNames.IsOneOf(ila.Miss, ConfigNames.IlaMissActions))
            context.Add("Ila:Miss", $"'{ila.Miss}' is not one of {ConfigNames.Describe(ConfigNames.IlaMissActions)}");

        var sirPrefixes = new HashSet<ulong>();
        var locators = new HashSet<ulong>();
        for (var d = 0; d < ila.Domains.Count; d++)
        {
            var domain = ila.Domains[d];
            var key = $"Ila:Domains:{d}";
            if (Prefix64(context, $"{key}:SirPrefix", domain.SirPrefix) is ulong sir && !sirPrefixes.Add(sir))
                context.Add($"{key}:SirPrefix", $"'{domain.SirPrefix}' is already the SIR prefix of another domain");
            if (Prefix64(context, $"{key}:Locator", domain.Locator) is ulong loc && !locators.Add(loc))
                context.Add($"{key}:Locator", $"'{domain.Locator}' is already this host's locator in another domain");
            var domainMode = Mode(context, $"{key}:ChecksumMode", domain.ChecksumMode) ?? IlaChecksumMode.NeutralMap;

            var identifiers = new HashSet<ulong>();
            for (var m = 0; m < domain.Mappings.Count; m++)
            {
                var mapping = domain.Mappings[m];
                var mkey = $"{key}:Mappings:{m}";
                var mode = mapping.ChecksumMode is null ? domainMode : Mode(context, $"{mkey}:ChecksumMode", mapping.ChecksumMode) ?? domainMode;
                if (!IlaIdentifier.TryParse(mapping.Identifier, out var identifier))
                {
                    context.Add($"{mkey}:Identifier", $"'{mapping.Identifier}' is not an identifier (four 16-bit hex groups, e.g. 1:0:0:2)");
                }
                else
                {
                    var error = identifier.Validate(mode);
                    if (error != IlaIdentifierError.None)
                        context.Add($"{mkey}:Identifier", $"'{mapping.Identifier}' is refused in {ModeName(mode)} mode: {IlaIdentifierErrors.Name(error)}");
                    else if (!identifiers.Add(identifier.Value & ~IlaIdentifier.CBit))
                        context.Add($"{mkey}:Identifier", $"'{mapping.Identifier}' is mapped twice in this domain");
                }
                if (!IlaPrefix.TryParse(mapping.Locator, out _))
                    context.Add($"{mkey}:Locator", $"'{mapping.Locator}' is not a locator (the upper 64 bits of an IPv6 address, e.g. 2001:db8:b::)");
            }
        }
    }

    private static ulong? Prefix64(ValidationContext context, string key, string text)
    {
        if (!ConfigSyntax.TryParsePrefix(text, out var network, out var problem))
        {
            context.Add(key, problem);
            return null;
        }
        if (network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || network.PrefixLength != 64)
        {
            context.Add(key, $"'{text}' must be an IPv6 /64 (ILA splits addresses at 64 bits)");
            return null;
        }
        return IlaPrefix.Parse(text);
    }

    private static IlaChecksumMode? Mode(ValidationContext context, string key, string text)
    {
        var i = Array.IndexOf(ConfigNames.IlaChecksumModes, text);
        if (i < 0)
        {
            context.Add(key, $"'{text}' is not one of {ConfigNames.Describe(ConfigNames.IlaChecksumModes)}");
            return null;
        }
        return (IlaChecksumMode)i;
    }

    internal static IlaChecksumMode ParseMode(string text) => (IlaChecksumMode)Math.Max(0, Array.IndexOf(ConfigNames.IlaChecksumModes, text));

    private static string ModeName(IlaChecksumMode mode) => ConfigNames.IlaChecksumModes[(int)mode];
}
