using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Xdp.Runtime.Wire;

/// <summary>
/// A 48-bit IEEE 802 MAC address held in the low 48 bits of a <see cref="ulong"/>, first wire byte most
/// significant, so equality is one compare and the struct is blittable.
/// </summary>
public readonly struct MacAddress : IEquatable<MacAddress>
{
    public const int Length = 6;

    private readonly ulong _value;

    private MacAddress(ulong value) => _value = value & 0xFFFF_FFFF_FFFFUL;

    public static MacAddress Zero => default;
    public static MacAddress Broadcast => new(0xFFFF_FFFF_FFFFUL);

    /// <summary>The address as a 48-bit number, first octet most significant (02:00:00:00:00:01 is 0x020000000001).</summary>
    public ulong Value => _value;

    public bool IsZero => _value == 0;
    public bool IsBroadcast => _value == 0xFFFF_FFFF_FFFFUL;
    /// <summary>I/G bit: least significant bit of the first octet (IEEE 802-2014 8.2).</summary>
    public bool IsMulticast => (_value & 0x0100_0000_0000UL) != 0;

    public static MacAddress FromValue(ulong value) => new(value);

    /// <summary>Reads six bytes; <paramref name="source"/> must hold at least <see cref="Length"/> bytes.</summary>
    public static MacAddress Read(ReadOnlySpan<byte> source)
    {
        var high = BinaryPrimitives.ReadUInt16BigEndian(source);
        var low = BinaryPrimitives.ReadUInt32BigEndian(source.Slice(2));
        return new(((ulong)high << 32) | low);
    }

    /// <summary>Writes six bytes; <paramref name="destination"/> must hold at least <see cref="Length"/> bytes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(2), (uint)_value);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(_value >> 32));
    }

    /// <summary>Parses "02:00:00:00:00:01" (also '-' separated); case-insensitive.</summary>
    public static MacAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var mac) ? mac : throw new FormatException($"'{text}' is not a MAC address (expected six hex octets such as 02:00:00:00:00:01)");
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out MacAddress mac) => TryParse(text.AsSpan(), out mac);

    public static bool TryParse(ReadOnlySpan<char> text, out MacAddress mac)
    {
        mac = default;
        if (text.Length != 17) return false;
        var separator = text[2];
        if (separator != ':' && separator != '-') return false;
        ulong value = 0;
        for (var i = 0; i < 6; i++)
        {
            var at = i * 3;
            if (i > 0 && text[at - 1] != separator) return false;
            var hi = HexValue(text[at]);
            var lo = HexValue(text[at + 1]);
            if ((hi | lo) < 0) return false;
            value = (value << 8) | (uint)((hi << 4) | lo);
        }
        mac = new(value);
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    public override string ToString() => string.Create(17, _value, static (chars, value) =>
    {
        const string hex = "0123456789abcdef";
        for (var i = 0; i < 6; i++)
        {
            var octet = (int)(value >> (40 - (8 * i))) & 0xFF;
            chars[i * 3] = hex[octet >> 4];
            chars[(i * 3) + 1] = hex[octet & 0xF];
            if (i < 5) chars[(i * 3) + 2] = ':';
        }
    });

    public bool Equals(MacAddress other) => _value == other._value;
    public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);
    public override int GetHashCode() => _value.GetHashCode();
    public static bool operator ==(MacAddress left, MacAddress right) => left._value == right._value;
    public static bool operator !=(MacAddress left, MacAddress right) => left._value != right._value;
}
