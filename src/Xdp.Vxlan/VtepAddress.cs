using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Xdp.Vxlan;

/// <summary>
/// A tunnel endpoint's address in the form the data plane compares: the raw network-order bytes as read from
/// memory (IPv4 in the low 32 bits, as <c>Ipv4Header.SourceAddress</c> returns it; IPv6 as <c>Ipv6Header.SourceAddress</c>).
/// </summary>
public readonly record struct VtepAddress(UInt128 Value, bool IsIpv6)
{
    public static VtepAddress FromIpv4(uint networkOrder) => new(networkOrder, false);

    public static VtepAddress FromIpv6(UInt128 networkOrder) => new(networkOrder, true);

    public static VtepAddress From(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return FromIpv4(Unsafe.ReadUnaligned<uint>(ref bytes[0]));
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6) throw new ArgumentException($"{address}: not an IP address", nameof(address));
        address.TryWriteBytes(bytes, out _);
        return FromIpv6(Unsafe.ReadUnaligned<UInt128>(ref bytes[0]));
    }

    public static VtepAddress Parse(string text) => From(IPAddress.Parse(text));

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (IsIpv6)
        {
            Unsafe.WriteUnaligned(ref bytes[0], Value);
            return new IPAddress(bytes);
        }
        Unsafe.WriteUnaligned(ref bytes[0], (uint)Value);
        return new IPAddress(bytes.Slice(0, 4));
    }

    public override string ToString() => ToIPAddress().ToString();
}
