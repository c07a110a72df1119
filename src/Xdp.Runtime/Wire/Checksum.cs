using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Xdp.Runtime.Wire;

/// <summary>
/// The Internet checksum (RFC 1071): the one's-complement of the one's-complement sum of 16-bit words.
/// Sums are carried in a 32-bit (or wider) accumulator and folded once at the end. Values are big-endian
/// 16-bit words as they appear on the wire, read into host order. A static partial class so vectorised
/// and L4 helpers can be added in other files.
/// </summary>
public static partial class Checksum
{
    /// <summary>
    /// Adds <paramref name="data"/> as big-endian 16-bit words to <paramref name="initial"/> (an odd last byte
    /// is padded with zero, RFC 1071 section 4.1). The result is unfolded; pass it to <see cref="Fold"/> or
    /// <see cref="Finish"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Sum(ReadOnlySpan<byte> data, uint initial = 0) =>
        BitConverter.IsLittleEndian && Vector128.IsHardwareAccelerated && data.Length >= VectorThreshold
            ? SumVectorized(data, initial)
            : SumScalar(data, initial);

    /// <summary>The scalar path of <see cref="Sum"/>, kept as the reference the vector paths are tested against.</summary>
    public static uint SumScalar(ReadOnlySpan<byte> data, uint initial = 0)
    {
        // 64-bit accumulator of 32-bit big-endian words: cannot overflow for any frame (2^32 words).
        ulong sum = initial;
        ref var start = ref MemoryMarshal.GetReference(data);
        var length = data.Length;
        var i = 0;
        for (; i + 4 <= length; i += 4)
        {
            sum += BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i)));
        }
        if (i + 2 <= length)
        {
            sum += (uint)((Unsafe.Add(ref start, i) << 8) | Unsafe.Add(ref start, i + 1));
            i += 2;
        }
        if (i < length)
        {
            sum += (uint)(Unsafe.Add(ref start, i) << 8);
        }
        // Fold 64 -> 32 bits keeping the end-around carry (RFC 1071 section 2 (B): sum width is free).
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        return (uint)sum;
    }

    /// <summary>Folds a 32-bit accumulator to 16 bits with end-around carry (not complemented).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(uint sum)
    {
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum field value for an accumulated sum: <c>~Fold(sum)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Finish(uint sum) => (ushort)~Fold(sum);

    /// <summary>The checksum of <paramref name="data"/>; zero when the data already contains a valid checksum.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Sum(data));

    /// <summary>
    /// RFC 1624 section 3, eqn. 3: HC' = ~(~HC + ~m + m'), the checksum after one 16-bit word changes from
    /// <paramref name="oldValue"/> to <paramref name="newValue"/>. Unlike eqn. 2 this never yields 0x0000
    /// for a non-zero sum's complement (the -0 pitfall of RFC 1141).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Update16(ushort oldChecksum, ushort oldValue, ushort newValue)
    {
        var sum = (uint)(ushort)~oldChecksum + (ushort)~oldValue + newValue;
        return (ushort)~Fold(sum);
    }

    /// <summary>As <see cref="Update16"/> for a 32-bit field (an IPv4 address), both halves at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Update32(ushort oldChecksum, uint oldValue, uint newValue)
    {
        var sum = (uint)(ushort)~oldChecksum
            + (ushort)~(oldValue >> 16) + (ushort)~oldValue
            + (newValue >> 16) + (newValue & 0xFFFF);
        return (ushort)~Fold(sum);
    }

    /// <summary>
    /// Unfolded sum of the IPv4 pseudo-header (RFC 768 / RFC 793 section 3.1). Addresses are in network order
    /// as read from memory (see <see cref="Ipv4Header.SourceAddress"/>); <paramref name="length"/> is the L4 length.
    /// </summary>
    public static uint PseudoHeaderV4(uint sourceNetworkOrder, uint destinationNetworkOrder, byte protocol, ushort length)
    {
        // A 32-bit number is congruent to the sum of its 16-bit halves modulo 0xFFFF, so whole addresses can be added.
        ulong sum = (ulong)NetworkOrder.ToHost(sourceNetworkOrder) + NetworkOrder.ToHost(destinationNetworkOrder)
            + protocol + length;
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        return (uint)sum;
    }

    /// <summary>Unfolded sum of the IPv6 pseudo-header (RFC 8200 section 8.1).</summary>
    public static uint PseudoHeaderV6(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte nextHeader, uint length)
    {
        var sum = Sum(source.Slice(0, 16));
        sum = Sum(destination.Slice(0, 16), sum);
        ulong wide = (ulong)sum + (length >> 16) + (length & 0xFFFF) + nextHeader;
        wide = (wide & 0xFFFF_FFFF) + (wide >> 32);
        return (uint)wide;
    }
}
