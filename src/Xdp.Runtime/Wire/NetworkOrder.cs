using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Xdp.Runtime.Wire;

/// <summary>
/// Conversions for values kept in network byte order as read raw from memory (addresses are compared and hashed
/// in that form; only masks are swapped, once, as in <see cref="System.Net.IPNetwork"/>).
/// </summary>
public static class NetworkOrder
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ToHost(uint networkOrder) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(networkOrder) : networkOrder;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint FromHost(uint hostOrder) => ToHost(hostOrder);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static UInt128 ToHost(UInt128 networkOrder) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(networkOrder) : networkOrder;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static UInt128 FromHost(UInt128 hostOrder) => ToHost(hostOrder);

    /// <summary>An IPv4 address (e.g. from configuration) as the network-order uint the data path uses.</summary>
    public static uint AddressV4(System.Net.IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return Unsafe.ReadUnaligned<uint>(ref bytes[0]);
    }

    /// <summary>An IPv6 address as the network-order UInt128 the data path uses.</summary>
    public static UInt128 AddressV6(System.Net.IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            throw new ArgumentException($"{address} is not an IPv6 address", nameof(address));
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return Unsafe.ReadUnaligned<UInt128>(ref bytes[0]);
    }
}
