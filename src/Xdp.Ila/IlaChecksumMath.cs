using System.Runtime.CompilerServices;

namespace Xdp.Ila;

/// <summary>One's-complement arithmetic over the 64-bit halves of an address (RFC 1071, RFC 1624).</summary>
internal static class IlaChecksumMath
{
    /// <summary>Unfolded sum of the four 16-bit words of a 64-bit value (at most 4 * 0xFFFF).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Sum64(ulong value) =>
        (uint)(value >> 48) + (uint)((value >> 32) & 0xFFFF) + (uint)((value >> 16) & 0xFFFF) + (uint)(value & 0xFFFF);

    /// <summary>Folds to 16 bits with end-around carry; a non-zero sum never folds to 0x0000.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(uint sum)
    {
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>One's-complement negation of a 64-bit value's word sum, as a 16-bit addend.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Negate64(ulong value) => (ushort)~Fold(Sum64(value));

    /// <summary>
    /// RFC 1624 section 3, eqn. 3 for four words at once: HC' = ~(~HC + ~m + m'), where m and m' are the old and new
    /// 64-bit halves. The difference is added with the sign the RFC gives (new minus old).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Update64(ushort checksum, ulong oldValue, ulong newValue) =>
        (ushort)~Fold((ushort)~checksum + Negate64(oldValue) + Sum64(newValue));
}
