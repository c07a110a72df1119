using System.Runtime.CompilerServices;

namespace Xdp.Runtime.Wire;

/// <summary>
/// Incremental updates (RFC 1624 section 3, eqn. 3) for wider fields and for UDP. Values are host-order numbers
/// of big-endian fields (the first wire word most significant), as <see cref="Update16"/> takes them.
/// </summary>
public static partial class Checksum
{
    /// <summary>As <see cref="Update16"/> for a 64-bit field (an IPv6 prefix or ILA locator): four words at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Update64(ushort oldChecksum, ulong oldValue, ulong newValue)
    {
        // ~m as whole 32-bit halves: the complement of a 32-bit number is the pair of its words' complements.
        ulong sum = (ushort)~oldChecksum
            + (ulong)~(uint)(oldValue >> 32) + ~(uint)oldValue
            + (newValue >> 32) + (uint)newValue;
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        return (ushort)~Fold((uint)sum);
    }

    /// <summary>
    /// As <see cref="Update16"/> for a field of any even length given as its old and new bytes (same length).
    /// One's-complement negation distributes over the sum, so ~m over the field is ~Fold(Sum(old)).
    /// </summary>
    public static ushort Update(ushort oldChecksum, ReadOnlySpan<byte> oldBytes, ReadOnlySpan<byte> newBytes)
    {
        var sum = (uint)(ushort)~oldChecksum + (ushort)~Fold(Sum(oldBytes)) + Fold(Sum(newBytes));
        return (ushort)~Fold(sum);
    }

    /// <summary>
    /// <see cref="Update16"/> with UDP's rules (RFC 768): a checksum of 0 means "none was computed" (allowed over
    /// IPv4; over IPv6 only for tunnels, RFC 6935) and stays 0, and a result of 0 is sent as 0xFFFF (the other
    /// one's-complement zero), since 0 would read as "no checksum".
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort UpdateUdp16(ushort oldChecksum, ushort oldValue, ushort newValue) =>
        oldChecksum == 0 ? (ushort)0 : NonZero(Update16(oldChecksum, oldValue, newValue));

    /// <summary><see cref="Update32"/> with UDP's rules (see <see cref="UpdateUdp16"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort UpdateUdp32(ushort oldChecksum, uint oldValue, uint newValue) =>
        oldChecksum == 0 ? (ushort)0 : NonZero(Update32(oldChecksum, oldValue, newValue));

    /// <summary><see cref="Update64"/> with UDP's rules (see <see cref="UpdateUdp16"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort UpdateUdp64(ushort oldChecksum, ulong oldValue, ulong newValue) =>
        oldChecksum == 0 ? (ushort)0 : NonZero(Update64(oldChecksum, oldValue, newValue));

    /// <summary><see cref="Update"/> with UDP's rules (see <see cref="UpdateUdp16"/>).</summary>
    public static ushort UpdateUdp(ushort oldChecksum, ReadOnlySpan<byte> oldBytes, ReadOnlySpan<byte> newBytes) =>
        oldChecksum == 0 ? (ushort)0 : NonZero(Update(oldChecksum, oldBytes, newBytes));

    /// <summary>RFC 768: a computed UDP checksum of 0 is transmitted as all ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort NonZero(ushort checksum) => checksum == 0 ? (ushort)0xFFFF : checksum;
}
