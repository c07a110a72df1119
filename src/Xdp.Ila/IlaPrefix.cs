using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Xdp.Ila;

/// <summary>
/// Parsing of the 64-bit halves ILA works with: SIR prefixes and locators, host order (the upper 64 bits of an
/// address read big-endian). Configuration-side helpers; the data path never sees strings.
/// </summary>
public static class IlaPrefix
{
    /// <summary>
    /// Accepts "2001:0:87:0" (four groups, the kernel's locator syntax), an IPv6 address whose low 64 bits are zero
    /// ("2001:db8:b::"), or such an address with "/64".
    /// </summary>
    public static bool TryParse(string? text, out ulong prefix)
    {
        prefix = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var span = text.AsSpan().Trim();
        if (IlaIdentifier.TryParse64(span, out prefix)) return true;
        if (span.EndsWith("/64", StringComparison.Ordinal)) span = span[..^3];
        if (!IPAddress.TryParse(span, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6) return false;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]) != 0) return false;
        prefix = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        return true;
    }

    public static ulong Parse(string text)
    {
        if (!TryParse(text, out var prefix)) throw new FormatException($"'{text}' is not a 64-bit ILA prefix (e.g. 2001:db8:b:: or 2001:db8:b:0)");
        return prefix;
    }

    /// <summary>"2001:db8:b:0" form.</summary>
    public static string Format(ulong prefix) => IlaIdentifier.Format64(prefix);
}
