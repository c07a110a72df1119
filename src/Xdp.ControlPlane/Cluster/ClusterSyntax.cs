using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Xdp.ControlPlane.Cluster;

/// <summary>
/// Syntax of the values in cluster keys and values: canonical forms (one entry, one key) and checks. The control plane
/// has no reference to the data-plane libraries, so the few formats are parsed here (the same syntax as the host file).
/// </summary>
public static class ClusterSyntax
{
    /// <summary>The ILA checksum modes (draft-herbert-intarea-ila section 5.3), as the host file names them.</summary>
    public static readonly IReadOnlyList<string> ChecksumModes = ["neutral-map", "neutral-map-auto", "adjust-transport", "no-action"];

    public const int MaxVni = 0xFFFFFF;

    public static bool IsVni(int vni) => vni is >= 0 and <= MaxVni;

    /// <summary>Null when <paramref name="name"/> is usable as a key segment; otherwise the problem.</summary>
    public static string? NameProblem(string? name) =>
        string.IsNullOrEmpty(name) ? "it is empty"
        : name.Contains('/', StringComparison.Ordinal) ? "it contains '/'"
        : name.Trim() != name ? "it has leading or trailing white space"
        : null;

    /// <summary>"2001:db8:5151::" for an IPv6 /64 prefix given with or without "/64" (low 64 bits zero); null otherwise.</summary>
    public static string? CanonicalSirPrefix(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var span = text.AsSpan().Trim();
        if (span.EndsWith("/64", StringComparison.Ordinal))
        {
            span = span[..^3];
        }

        if (!IPAddress.TryParse(span, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]) == 0 ? address.ToString() : null;
    }

    /// <summary>"1:0:0:2" for four groups of 1-4 hex digits (an ILA identifier, RFC-draft section 4.3); null otherwise.</summary>
    public static string? CanonicalIdentifier(string? text) =>
        TryParse64(text, out ulong value) ? Format64(value) : null;

    /// <summary>
    /// A locator: four hex groups ("2001:db8:a:0") or an IPv6 address whose low 64 bits are zero ("2001:db8:a::",
    /// optionally with "/64"), as the host file accepts.
    /// </summary>
    public static bool IsLocator(string? text) => TryParse64(text, out _) || CanonicalSirPrefix(text) is not null;

    /// <summary>"02:00:00:00:00:0a" for a MAC of six hex pairs separated by ':' or '-'; null otherwise.</summary>
    public static string? CanonicalMac(string? text)
    {
        if (text is null || text.Length != 17)
        {
            return null;
        }

        Span<char> result = stackalloc char[17];
        for (int i = 0; i < 6; i++)
        {
            var pair = text.AsSpan(i * 3, 2);
            if (!byte.TryParse(pair, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b)
                || (i < 5 && text[(i * 3) + 2] is not (':' or '-')))
            {
                return null;
            }

            b.TryFormat(result.Slice(i * 3, 2), out _, "x2", CultureInfo.InvariantCulture);
            if (i < 5)
            {
                result[(i * 3) + 2] = ':';
            }
        }

        return new string(result);
    }

    /// <summary>The standard text of an IPv4 or IPv6 address; null when <paramref name="text"/> is not one.</summary>
    public static string? CanonicalAddress(string? text) =>
        text is not null && text.Trim() == text && IPAddress.TryParse(text, out var address)
            && address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            && (address.AddressFamily != AddressFamily.InterNetwork || text.Count(c => c == '.') == 3)
            ? address.ToString()
            : null;

    /// <summary>Null when <paramref name="label"/> is "key=value" with a non-empty key; otherwise the problem.</summary>
    public static string? LabelProblem(string? label)
    {
        if (string.IsNullOrEmpty(label))
        {
            return "a label is empty";
        }

        int equals = label.IndexOf('=', StringComparison.Ordinal);
        return equals <= 0 ? $"label '{label}' is not key=value" : null;
    }

    private static bool TryParse64(string? text, out ulong value)
    {
        value = 0;
        if (text is null)
        {
            return false;
        }

        var span = text.AsSpan();
        for (int group = 0; group < 4; group++)
        {
            int end = span.IndexOf(':');
            if (group == 3)
            {
                if (end >= 0)
                {
                    return false;
                }

                end = span.Length;
            }
            else if (end < 0)
            {
                return false;
            }

            var digits = span[..end];
            if (digits.Length is 0 or > 4 || !ushort.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort word))
            {
                return false;
            }

            value = (value << 16) | word;
            span = group == 3 ? default : span[(end + 1)..];
        }

        return true;
    }

    private static string Format64(ulong value) => string.Create(CultureInfo.InvariantCulture,
        $"{(ushort)(value >> 48):x}:{(ushort)(value >> 32):x}:{(ushort)(value >> 16):x}:{(ushort)value:x}");
}
