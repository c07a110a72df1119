using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Xdp.Ila;

/// <summary>
/// A 64-bit ILA identifier, the low 64 bits of a SIR or ILA address, in host order
/// (draft-herbert-intarea-ila section 4.5):
/// <code>
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | Type|C|                    Identifier                         |
/// +-+-+-+-+                                                       +
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Type and C-bit are optional: a plain identifier is an unstructured 64-bit value, and only the neutral-map mode
/// interprets the C-bit. Written as four 16-bit hex groups, "1:0:0:2", like the low half of an IPv6 address.
/// </summary>
public readonly struct IlaIdentifier : IEquatable<IlaIdentifier>, ISpanFormattable
{
    /// <summary>The C-bit: bit 60, right below the 3-bit type.</summary>
    public const ulong CBit = 1UL << 60;
    /// <summary>The 60 bits below type and C-bit.</summary>
    public const ulong ValueMask = CBit - 1;

    public IlaIdentifier(ulong value) => Value = value;

    /// <summary>The whole 64 bits (a plain identifier uses only this).</summary>
    public ulong Value { get; }

    /// <summary>A formatted identifier of <paramref name="type"/> with a 60-bit value and the C-bit clear.</summary>
    public static IlaIdentifier Create(IlaIdentifierType type, ulong value)
    {
        if (value > ValueMask) throw new ArgumentOutOfRangeException(nameof(value), "an identifier value has 60 bits");
        return new IlaIdentifier(((ulong)type << 61) | value);
    }

    public IlaIdentifierType Type => (IlaIdentifierType)(Value >> 61);
    public bool ChecksumNeutral => (Value & CBit) != 0;
    /// <summary>The 60-bit value of a formatted identifier.</summary>
    public ulong FormattedValue => Value & ValueMask;
    /// <summary>The low 16 bits, where a checksum-neutral mapping keeps its adjustment.</summary>
    public ushort Low16 => (ushort)Value;

    /// <summary>
    /// Whether the identifier can be used as a SIR identifier under <paramref name="mode"/>.
    /// <para>
    /// The checksum-neutral modes write the one's-complement difference of the address into the low 16 bits and
    /// subtract it again on the way back. One's-complement arithmetic is modulo 0xFFFF, in which 0x0000 and 0xFFFF
    /// are the same number (+0 and -0): the round trip only recovers the residue, and an end-around-carry fold gives
    /// 0xFFFF for it (another implementation may give 0x0000). Every other value is the unique representative of its
    /// residue, so it comes back exactly; 0x0000 and 0xFFFF are refused so the result cannot depend on the peer.
    /// </para>
    /// </summary>
    public IlaIdentifierError Validate(IlaChecksumMode mode)
    {
        if (mode is not (IlaChecksumMode.NeutralMap or IlaChecksumMode.NeutralMapAuto)) return IlaIdentifierError.None;
        // ila.rst: "the C-bit can only be set in an ILA address, never a SIR address".
        if (mode == IlaChecksumMode.NeutralMap && ChecksumNeutral) return IlaIdentifierError.CBitInSirIdentifier;
        return Low16 switch
        {
            0x0000 => IlaIdentifierError.LowBitsZero,
            0xFFFF => IlaIdentifierError.LowBitsAllOnes,
            _ => IlaIdentifierError.None,
        };
    }

    /// <summary>Parses "g:g:g:g", four groups of 1-4 hex digits.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IlaIdentifier identifier)
    {
        var ok = TryParse64(text, out var value);
        identifier = new IlaIdentifier(value);
        return ok;
    }

    public static IlaIdentifier Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var identifier)) throw new FormatException($"'{text}' is not an ILA identifier (four 16-bit hex groups, e.g. 1:0:0:2)");
        return identifier;
    }

    /// <summary>Four 16-bit hex groups separated by ':' into a host-order 64-bit value (identifiers and locators).</summary>
    internal static bool TryParse64(ReadOnlySpan<char> text, out ulong value)
    {
        value = 0;
        for (var group = 0; group < 4; group++)
        {
            var end = text.IndexOf(':');
            if (group == 3) { if (end >= 0) return false; end = text.Length; }
            else if (end < 0) return false;
            var digits = text[..end];
            if (digits.Length is 0 or > 4 || !ushort.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var word)) return false;
            value = (value << 16) | word;
            text = group == 3 ? default : text[(end + 1)..];
        }
        return true;
    }

    internal static string Format64(ulong value) => string.Create(CultureInfo.InvariantCulture,
        $"{(ushort)(value >> 48):x}:{(ushort)(value >> 32):x}:{(ushort)(value >> 16):x}:{(ushort)value:x}");

    public override string ToString() => Format64(Value);

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        destination.TryWrite(CultureInfo.InvariantCulture,
            $"{(ushort)(Value >> 48):x}:{(ushort)(Value >> 32):x}:{(ushort)(Value >> 16):x}:{(ushort)Value:x}", out charsWritten);

    public bool Equals(IlaIdentifier other) => Value == other.Value;
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is IlaIdentifier other && Equals(other);
    public override int GetHashCode() => Value.GetHashCode();
    public static bool operator ==(IlaIdentifier left, IlaIdentifier right) => left.Value == right.Value;
    public static bool operator !=(IlaIdentifier left, IlaIdentifier right) => left.Value != right.Value;
}
