using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace XdpNet.Configuration;

/// <summary>Parsers for the textual values of the configuration, shared by the validator and the table builders.</summary>
public static class ConfigSyntax
{
    /// <summary>Parses <c>02:00:00:00:00:01</c> (also accepts <c>-</c> as separator). Exactly six two-digit hex groups.</summary>
    public static bool TryParseMac(string? text, out byte[] mac)
    {
        mac = new byte[6];
        if (text is null || text.Length != 17) return false;
        var separator = text[2];
        if (separator is not (':' or '-')) return false;
        for (var i = 0; i < 6; i++)
        {
            if (i > 0 && text[i * 3 - 1] != separator) return false;
            if (!byte.TryParse(text.AsSpan(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i])) return false;
        }
        return true;
    }

    /// <summary>A MAC an interface or next hop can have: not the all-zero address, group bit (I/G, IEEE 802 §8.2) clear.</summary>
    public static bool IsUnicastMac(ReadOnlySpan<byte> mac) => (mac[0] & 1) == 0 && mac.IndexOfAnyExcept((byte)0) >= 0;

    /// <summary>Parses an ethertype as <c>0x86dd</c> (hex) or <c>34525</c> (decimal); must be at least 0x0600 (IEEE 802.3 §3.2.6: smaller values are lengths).</summary>
    public static bool TryParseEthertype(string? text, out ushort ethertype)
    {
        ethertype = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        bool ok = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ushort.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ethertype)
            : ushort.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out ethertype);
        return ok && ethertype >= 0x0600;
    }

    /// <summary>
    /// Parses a prefix such as <c>198.18.2.0/24</c>; fails when it does not parse or has bits set after the
    /// prefix length (<c>198.18.2.1/24</c> is almost always a typo for an address, so it is refused, not masked).
    /// </summary>
    public static bool TryParsePrefix(string? text, out IPNetwork network, out string problem)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "a prefix is required, e.g. 198.18.2.0/24 or 2001:db8:2::/64";
            return false;
        }
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            problem = $"'{text}' has no prefix length (write e.g. {text}/{(text.Contains(':', StringComparison.Ordinal) ? 128 : 32)})";
            return false;
        }
        if (!IPAddress.TryParse(text.AsSpan(0, slash), out var address)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            || length > (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
            || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0))
        {
            problem = $"'{text}' is not an IPv4 or IPv6 prefix";
            return false;
        }
        // IPNetwork.TryParse masks host bits silently on .NET 10, so compare with the masked address ourselves.
        var masked = Mask(address, length);
        if (!masked.Equals(address) || !IPNetwork.TryParse(text, out network))
        {
            problem = $"'{text}' has host bits set after /{length} (did you mean {new IPNetwork(masked, length)}?)";
            return false;
        }
        problem = "";
        return true;
    }

    private static IPAddress Mask(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(length - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF00 >> keep);
        }
        return new IPAddress(bytes);
    }

    /// <summary>True when <paramref name="value"/> is a positive power of two.</summary>
    public static bool IsPowerOfTwo(long value) => value > 0 && (value & (value - 1)) == 0;
}
