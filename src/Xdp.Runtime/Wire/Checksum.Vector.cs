using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Xdp.Runtime.Wire;

/// <summary>
/// The vectorised one's-complement sum. Byte order does not matter to the sum (RFC 1071 section 2 (B)): the
/// vectors add native little-endian 16-bit words and the folded result is byte-swapped once at the end. Each
/// 32-bit lane takes the low and the high word of its two bytes pairs separately (widening, so a lane gains at
/// most 2 * 0xFFFF per load) and is flushed into 64-bit lanes every <see cref="BlockBytes"/>, so nothing
/// overflows for any length. The tail shorter than a vector goes through the scalar path, which keeps word
/// pairing (the vector part always covers an even number of bytes).
/// </summary>
public static partial class Checksum
{
    /// <summary>
    /// Below this many bytes <see cref="Sum"/> stays scalar (a 20-byte IPv4 header gains nothing from a vector).
    /// </summary>
    internal const int VectorThreshold = 64;

    /// <summary>
    /// Bytes summed into 32-bit lanes before they are widened: with two accumulators a lane sees one load per
    /// 2 * vector bytes, 1 MiB / 32 = 32,768 loads * 0x1FFFE &lt; 2^32.
    /// </summary>
    private const int BlockBytes = 1 << 20;

    /// <summary>
    /// <see cref="Sum"/> through the widest hardware-accelerated vector (Vector256, then Vector128), scalar when
    /// neither is accelerated or the data is shorter than a vector. Folds to the same 16 bits as <see cref="SumScalar"/>.
    /// </summary>
    public static uint SumVectorized(ReadOnlySpan<byte> data, uint initial = 0)
    {
        if (!BitConverter.IsLittleEndian) return SumScalar(data, initial);
        if (Vector256.IsHardwareAccelerated && data.Length >= Vector256<byte>.Count) return SumVector256(data, initial);
        if (Vector128.IsHardwareAccelerated && data.Length >= Vector128<byte>.Count) return SumVector128(data, initial);
        return SumScalar(data, initial);
    }

    /// <summary>The Vector256 tier (software-emulated when not accelerated, so tests can run it anywhere).</summary>
    internal static uint SumVector256(ReadOnlySpan<byte> data, uint initial)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        var length = (nuint)data.Length;
        var vector = (nuint)Vector256<byte>.Count;
        var low = Vector256.Create(0x0000_FFFFu);
        var total = Vector256<ulong>.Zero;
        nuint i = 0;
        while (length - i >= vector)
        {
            var blockEnd = i + Math.Min(length - i, (nuint)BlockBytes);
            var acc0 = Vector256<uint>.Zero;
            var acc1 = Vector256<uint>.Zero;
            for (; blockEnd - i >= 2 * vector; i += 2 * vector)
            {
                var a = Vector256.LoadUnsafe(ref start, i).AsUInt32();
                var b = Vector256.LoadUnsafe(ref start, i + vector).AsUInt32();
                acc0 += (a & low) + (a >> 16);
                acc1 += (b & low) + (b >> 16);
            }
            if (blockEnd - i >= vector)
            {
                var a = Vector256.LoadUnsafe(ref start, i).AsUInt32();
                acc0 += (a & low) + (a >> 16);
                i += vector;
            }
            var (lo0, hi0) = Vector256.Widen(acc0);
            var (lo1, hi1) = Vector256.Widen(acc1);
            total += (lo0 + hi0) + (lo1 + hi1);
        }
        return Combine(Vector256.Sum(total), SumScalar(data.Slice((int)i), initial));
    }

    /// <summary>The Vector128 tier.</summary>
    internal static uint SumVector128(ReadOnlySpan<byte> data, uint initial)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        var length = (nuint)data.Length;
        var vector = (nuint)Vector128<byte>.Count;
        var low = Vector128.Create(0x0000_FFFFu);
        var total = Vector128<ulong>.Zero;
        nuint i = 0;
        while (length - i >= vector)
        {
            var blockEnd = i + Math.Min(length - i, (nuint)BlockBytes);
            var acc0 = Vector128<uint>.Zero;
            var acc1 = Vector128<uint>.Zero;
            for (; blockEnd - i >= 2 * vector; i += 2 * vector)
            {
                var a = Vector128.LoadUnsafe(ref start, i).AsUInt32();
                var b = Vector128.LoadUnsafe(ref start, i + vector).AsUInt32();
                acc0 += (a & low) + (a >> 16);
                acc1 += (b & low) + (b >> 16);
            }
            if (blockEnd - i >= vector)
            {
                var a = Vector128.LoadUnsafe(ref start, i).AsUInt32();
                acc0 += (a & low) + (a >> 16);
                i += vector;
            }
            var (lo0, hi0) = Vector128.Widen(acc0);
            var (lo1, hi1) = Vector128.Widen(acc1);
            total += (lo0 + hi0) + (lo1 + hi1);
        }
        return Combine(Vector128.Sum(total), SumScalar(data.Slice((int)i), initial));
    }

    /// <summary>
    /// Adds the little-endian vector sum to the big-endian scalar sum: fold the former to 16 bits, swap its bytes
    /// (congruent modulo 0xFFFF to the big-endian word sum), add with end-around carry.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Combine(ulong littleEndianSum, uint bigEndianSum)
    {
        littleEndianSum = (littleEndianSum & 0xFFFF_FFFF) + (littleEndianSum >> 32);
        littleEndianSum = (littleEndianSum & 0xFFFF_FFFF) + (littleEndianSum >> 32);
        var swapped = BinaryPrimitives.ReverseEndianness(Fold((uint)littleEndianSum));
        ulong sum = (ulong)bigEndianSum + swapped;
        return (uint)((sum & 0xFFFF_FFFF) + (sum >> 32));
    }
}
