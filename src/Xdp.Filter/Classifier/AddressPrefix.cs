using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Xdp.Filter.Classifier;

/// <summary>
/// An IPv4 or IPv6 prefix as the classifier compares it: the address as a number whose most significant
/// byte is the first byte on the wire (IPv4 in the low 32 bits), so a prefix is one contiguous numeric range.
/// Host bits beyond <see cref="Length"/> must be zero: a prefix like 10.0.0.1/8 is refused, not silently masked.
/// </summary>
public readonly record struct AddressPrefix
{
    private AddressPrefix(UInt128 address, int length, bool isIPv6)
    {
        Address = address;
        Length = length;
        IsIPv6 = isIPv6;
        Last = address | HostMask(isIPv6 ? 128 : 32, length);
    }

    /// <summary>0.0.0.0/0: every IPv4 address.</summary>
    public static AddressPrefix AnyIPv4 => new(0, 0, false);

    /// <summary>::/0: every IPv6 address.</summary>
    public static AddressPrefix AnyIPv6 => new(0, 0, true);

    public UInt128 Address { get; }

    public int Length { get; }

    public bool IsIPv6 { get; }

    /// <summary>Bits in an address of this family (32 or 128).</summary>
    public int AddressBits => IsIPv6 ? 128 : 32;

    /// <summary>Lowest address inside the prefix.</summary>
    public UInt128 First => Address;

    /// <summary>Highest address inside the prefix.</summary>
    public UInt128 Last { get; }

    /// <param name="address">Host-order value: 192.0.2.1 is 0xC0000201.</param>
    public static AddressPrefix IPv4(uint address, int length)
    {
        if ((uint)length > 32) throw new ArgumentOutOfRangeException(nameof(length), length, "IPv4 prefix length must be 0..32");
        if ((address & (uint)HostMask(32, length)) != 0)
            throw new ArgumentException($"IPv4 prefix {Format(address, false)}/{length} has host bits set", nameof(address));
        return new AddressPrefix(address, length, false);
    }

    /// <param name="address">The 16 wire bytes read big-endian (BinaryPrimitives.ReadUInt128BigEndian).</param>
    public static AddressPrefix IPv6(UInt128 address, int length)
    {
        if ((uint)length > 128) throw new ArgumentOutOfRangeException(nameof(length), length, "IPv6 prefix length must be 0..128");
        if ((address & HostMask(128, length)) != 0)
            throw new ArgumentException($"IPv6 prefix {Format(address, true)}/{length} has host bits set", nameof(address));
        return new AddressPrefix(address, length, true);
    }

    /// <summary>Parses "a.b.c.d/len" or "2001:db8::/32"; a bare address is a host prefix (/32, /128).</summary>
    public static AddressPrefix Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var ip))
            throw new FormatException($"'{text}' is not an IPv4 or IPv6 prefix");
        var isIPv6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
        var length = isIPv6 ? 128 : 32;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > (isIPv6 ? 128 : 32)))
            throw new FormatException($"'{text}' has an invalid prefix length");
        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out var written);
        return isIPv6
            ? IPv6(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes), length)
            : IPv4(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes[..written]), length);
    }

    public bool Contains(UInt128 address) => address >= First && address <= Last;

    public override string ToString() => $"{Format(Address, IsIPv6)}/{Length}";

    private static UInt128 HostMask(int bits, int length) =>
        length >= bits ? UInt128.Zero : (bits == 128 ? UInt128.MaxValue : (UInt128)((1UL << bits) - 1)) >> length;

    private static string Format(UInt128 address, bool isIPv6)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!isIPv6)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)address);
            return new IPAddress(bytes[..4]).ToString();
        }
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        return new IPAddress(bytes).ToString();
    }
}
