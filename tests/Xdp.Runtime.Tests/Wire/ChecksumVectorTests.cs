using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Wire;

/// <summary>The vector tiers against the scalar reference (fast parser vs obviously correct one, Garnet-style).</summary>
public class ChecksumVectorTests
{
    private const int MaxLength = 2048;
    private const int MaxAlignment = 31;

    private static readonly byte[] Random = RandomBytes();

    private static byte[] RandomBytes()
    {
        var bytes = new byte[MaxLength + MaxAlignment + 1];
        new Random(1071).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void EveryTierEqualsScalarOnRandomInputOfEveryLengthAndAlignment()
    {
        for (var alignment = 0; alignment <= MaxAlignment; alignment++)
        {
            for (var length = 0; length <= MaxLength; length++)
            {
                var data = Random.AsSpan(alignment, length);
                var initial = (uint)(length * 2654435761u);
                var expected = Checksum.Fold(Checksum.SumScalar(data, initial));
                Assert.Equal(expected, Checksum.Fold(Checksum.SumVector256(data, initial)));
                Assert.Equal(expected, Checksum.Fold(Checksum.SumVector128(data, initial)));
                Assert.Equal(expected, Checksum.Fold(Checksum.SumVectorized(data, initial)));
                Assert.Equal(expected, Checksum.Fold(Checksum.Sum(data, initial)));
            }
        }
    }

    [Fact]
    public void AllOnesInputStressesCarries()
    {
        var ones = new byte[MaxLength + MaxAlignment];
        ones.AsSpan().Fill(0xFF);
        for (var alignment = 0; alignment <= MaxAlignment; alignment++)
        {
            for (var length = 0; length <= MaxLength; length++)
            {
                var data = ones.AsSpan(alignment, length);
                var expected = Checksum.Fold(Checksum.SumScalar(data, uint.MaxValue));
                Assert.Equal(expected, Checksum.Fold(Checksum.SumVector256(data, uint.MaxValue)));
                Assert.Equal(expected, Checksum.Fold(Checksum.SumVector128(data, uint.MaxValue)));
                Assert.Equal(expected, Checksum.Fold(Checksum.Sum(data, uint.MaxValue)));
                // Any non-empty even-length all-ones input sums to one's-complement zero: checksum 0.
                if (length >= 2 && length % 2 == 0) Assert.Equal(0xFFFF, expected);
            }
        }
    }

    [Fact]
    public void LargeAllOnesBufferCrossesTheWideningBlock()
    {
        // 3 MiB + 7 crosses the 1 MiB flush of the 32-bit lanes twice and ends odd.
        var ones = new byte[(3 << 20) + 7];
        ones.AsSpan().Fill(0xFF);
        var expected = Checksum.Fold(Checksum.SumScalar(ones));
        Assert.Equal(expected, Checksum.Fold(Checksum.SumVector256(ones, 0)));
        Assert.Equal(expected, Checksum.Fold(Checksum.SumVector128(ones, 0)));
        var random = new byte[(3 << 20) + 1];
        new Random(3).NextBytes(random);
        Assert.Equal(Checksum.Fold(Checksum.SumScalar(random)), Checksum.Fold(Checksum.Sum(random)));
    }

    [Fact]
    public void AllZeroInputSumsToZeroOnEveryTier()
    {
        var zeros = new byte[300];
        Assert.Equal(0u, Checksum.SumScalar(zeros));
        Assert.Equal(0, Checksum.Fold(Checksum.SumVector256(zeros, 0)));
        Assert.Equal(0, Checksum.Fold(Checksum.SumVector128(zeros, 0)));
        Assert.Equal(0xFFFF, Checksum.Compute(zeros));
    }
}
