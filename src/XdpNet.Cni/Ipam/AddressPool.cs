using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace XdpNet.Cni.Ipam;

/// <summary>
/// The addresses this host may hand out in one network: a contiguous range [First, Last] of IPv4 or IPv6 addresses
/// (as unsigned integers in host order), minus the gateway and, for ILA, identifiers whose low 16 bits are 0x0000 or
/// 0xFFFF (xdpnet refuses those in the checksum-neutral modes: the C-bit adjustment lives in those bits,
/// draft-herbert-ila section 6.1). Each address is given to the container as <see cref="PrefixLength"/>.
/// </summary>
internal sealed record AddressPool(AddressFamily Family, UInt128 First, UInt128 Last, int PrefixLength, UInt128? Excluded, bool SkipNeutralMapUnusable)
{
    public bool IsIpv6 => Family == AddressFamily.InterNetworkV6;

    public UInt128 Size => Last - First + 1;

    public bool IsUsable(UInt128 value)
    {
        if (value < First || value > Last) return false;
        if (Excluded is UInt128 excluded && value == excluded) return false;
        if (SkipNeutralMapUnusable)
        {
            var low = (ushort)value;
            if (low is 0x0000 or 0xFFFF) return false;
        }
        return true;
    }

    public IPAddress ToAddress(UInt128 value) => AddressMath.ToAddress(value, Family);
}

/// <summary>IPv4/IPv6 addresses as unsigned integers (network order bytes read big-endian).</summary>
internal static class AddressMath
{
    public static UInt128 ToValue(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public static IPAddress ToAddress(UInt128 value, AddressFamily family)
    {
        if (family == AddressFamily.InterNetwork)
        {
            Span<byte> v4 = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)value);
            return new IPAddress(v4);
        }
        Span<byte> v6 = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(v6, value);
        return new IPAddress(v6);
    }

    /// <summary>The mask of the host bits of a /<paramref name="prefixLength"/> in a <paramref name="bits"/>-bit address.</summary>
    public static UInt128 HostMask(int prefixLength, int bits) =>
        prefixLength >= bits ? UInt128.Zero : (bits - prefixLength == 128 ? UInt128.MaxValue : (UInt128.One << (bits - prefixLength)) - 1);
}
