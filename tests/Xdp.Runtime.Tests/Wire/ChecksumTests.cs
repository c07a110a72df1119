using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Wire;

public class ChecksumTests
{
    [Fact]
    public void Rfc1071NumericalExample()
    {
        // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (folded).
        var data = new byte[] { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
        Assert.Equal(0xddf2, Checksum.Fold(Checksum.Sum(data)));
        Assert.Equal(0x220d, Checksum.Compute(data));
    }

    [Fact]
    public void OddLengthPadsLastByteWithZero()
    {
        var odd = new byte[] { 0x12, 0x34, 0x56 };
        var padded = new byte[] { 0x12, 0x34, 0x56, 0x00 };
        Assert.Equal(Checksum.Compute(padded), Checksum.Compute(odd));
        Assert.Equal(0x1234 + 0x5600, (int)Checksum.Sum(odd));
    }

    [Fact]
    public void Rfc1624Example()
    {
        // RFC 1624 section 4: HC 0xdd2f, m 0x5555 -> 0x3285 gives 0x0000 with eqn. 3 (eqn. 2 gave 0xffff).
        Assert.Equal(0x0000, Checksum.Update16(0xdd2f, 0x5555, 0x3285));
    }

    private static readonly int[] Words = { 0, 2, 4, 6, 8, 12, 14, 16, 18 }; // every word but the checksum's

    [Fact]
    public void IncrementalUpdatesEqualRecomputation()
    {
        var random = new Random(1624);
        var data = new byte[20];
        for (var round = 0; round < 10_000; round++)
        {
            random.NextBytes(data);
            data[10] = data[11] = 0;
            var checksum = Checksum.Compute(data);
            data[10] = (byte)(checksum >> 8);
            data[11] = (byte)checksum;

            var word = Words[random.Next(Words.Length)];
            var oldValue = (ushort)((data[word] << 8) | data[word + 1]);
            var newValue = (ushort)random.Next(0, 0x10000);
            data[word] = (byte)(newValue >> 8);
            data[word + 1] = (byte)newValue;
            var updated = Checksum.Update16(checksum, oldValue, newValue);
            data[10] = (byte)(updated >> 8);
            data[11] = (byte)updated;
            // The verification sum over data with its checksum is 0xffff (or -0 == 0 only for all-zero data).
            Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Sum(data)));
        }
    }

    [Fact]
    public void Update32MatchesTwoUpdate16()
    {
        var random = new Random(32);
        for (var i = 0; i < 1000; i++)
        {
            var checksum = (ushort)random.Next(0, 0x10000);
            var oldValue = (uint)random.NextInt64(0, 1L << 32);
            var newValue = (uint)random.NextInt64(0, 1L << 32);
            var twice = Checksum.Update16(Checksum.Update16(checksum, (ushort)(oldValue >> 16), (ushort)(newValue >> 16)), (ushort)oldValue, (ushort)newValue);
            Assert.Equal(twice, Checksum.Update32(checksum, oldValue, newValue));
        }
    }

    [Fact]
    public void GoldenUdpChecksumsVerify()
    {
        var v4 = Support.Hex.Bytes(GoldenFrames.Ipv4Udp).AsSpan(14);
        var udp4 = v4.Slice(20);
        var pseudo4 = Checksum.PseudoHeaderV4(BitConverter.ToUInt32(v4.Slice(12, 4)), BitConverter.ToUInt32(v4.Slice(16, 4)), IpProtocol.Udp, (ushort)udp4.Length);
        Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Sum(udp4, pseudo4)));

        var v6 = Support.Hex.Bytes(GoldenFrames.Ipv6Udp).AsSpan(14);
        var udp6 = v6.Slice(40);
        var pseudo6 = Checksum.PseudoHeaderV6(v6.Slice(8, 16), v6.Slice(24, 16), IpProtocol.Udp, (uint)udp6.Length);
        Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Sum(udp6, pseudo6)));
    }
}
