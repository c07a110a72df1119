using System.Buffers.Binary;
using Xdp.Runtime.Tests.Support;
using XdpNet.Replay;

namespace Xdp.Runtime.Tests.Host;

public class PcapTests
{
    private static byte[] Frame(int length, byte fill)
    {
        var bytes = new byte[length];
        Array.Fill(bytes, fill);
        return bytes;
    }

    private static byte[] Write(bool nanosecond, params (ulong Ts, byte[] Data)[] packets)
    {
        using var ms = new MemoryStream();
        using (var writer = new PcapWriter(ms, nanosecond, leaveOpen: true))
        {
            foreach (var (ts, data) in packets) writer.Write(ts, data);
        }
        return ms.ToArray();
    }

    private static PcapPacket[] ReadAll(byte[] file)
    {
        using var reader = new PcapReader(new MemoryStream(file));
        return reader.ReadAll().ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTripKeepsBytesAndTimestamps(bool nanosecond)
    {
        var ts1 = 1_700_000_000_123_456_000UL;
        var ts2 = nanosecond ? 1_700_000_001_000_000_789UL : 1_700_000_001_000_001_000UL;
        var file = Write(nanosecond, (ts1, Frame(60, 0xAB)), (ts2, Frame(1514, 0x11)));

        using var reader = new PcapReader(new MemoryStream(file));
        Assert.Equal(nanosecond, reader.Nanosecond);
        Assert.Equal(1u, reader.LinkType);
        var packets = reader.ReadAll().ToArray();

        Assert.Equal(2, packets.Length);
        Assert.Equal(ts1, packets[0].TimestampNanoseconds);
        Assert.Equal(ts2, packets[1].TimestampNanoseconds);
        Assert.Equal(Frame(60, 0xAB), packets[0].Data);
        Assert.Equal(1514, packets[1].OriginalLength);
    }

    [Fact]
    public void WriterProducesTheStandardHeader()
    {
        var file = Write(false, (1_000_000_000UL + 5_000, Frame(42, 1)));
        // magic a1b2c3d4 little-endian, version 2.4, zone 0, sigfigs 0, snaplen 262144, linktype 1
        Assert.Equal(Hex.Bytes("d4c3b2a1 0200 0400 00000000 00000000 00000400 01000000"), file[..24]);
        // ts_sec 1, ts_usec 5, incl_len 42, orig_len 42
        Assert.Equal(Hex.Bytes("01000000 05000000 2a000000 2a000000"), file[24..40]);
        Assert.Equal(24 + 16 + 42, file.Length);
    }

    [Fact]
    public void BigEndianFileIsRead()
    {
        // The same file as written by a big-endian machine: magic bytes a1 b2 c3 d4.
        var header = Hex.Bytes("a1b2c3d4 0002 0004 00000000 00000000 0000ffff 00000001");
        var record = Hex.Bytes("00000002 00000003 00000004 00000004 deadbeef");
        var packet = Assert.Single(ReadAll([.. header, .. record]));
        Assert.Equal(2_000_003_000UL, packet.TimestampNanoseconds);
        Assert.Equal(Hex.Bytes("deadbeef"), packet.Data);
    }

    [Fact]
    public void NanosecondMagicIsRecognised()
    {
        var header = Hex.Bytes("4d3cb2a1 0200 0400 00000000 00000000 0000ffff 01000000");
        var record = Hex.Bytes("01000000 07000000 01000000 01000000 aa");
        Assert.Equal(1_000_000_007UL, Assert.Single(ReadAll([.. header, .. record])).TimestampNanoseconds);
    }

    private static PcapFormatException Malformed(byte[] file) =>
        Assert.Throws<PcapFormatException>(() => ReadAll(file));

    [Fact]
    public void TruncatedFileHeaderIsRefused()
    {
        var e = Malformed(Write(false)[..10]);
        Assert.Equal(0, e.Offset);
        Assert.Contains("truncated file header", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadMagicIsRefused()
    {
        var file = Write(false);
        BinaryPrimitives.WriteUInt32BigEndian(file, 0x0A0D0D0A); // pcapng section header block
        var e = Malformed(file);
        Assert.Equal(0, e.Offset);
        Assert.Contains("magic", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedLinkTypeIsRefused()
    {
        var file = Write(false);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(20), 113); // LINKTYPE_LINUX_SLL
        var e = Malformed(file);
        Assert.Equal(20, e.Offset);
        Assert.Contains("link type 113", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedRecordHeaderNamesItsOffset()
    {
        var file = Write(false, (0, Frame(60, 1)), (0, Frame(60, 2)));
        var e = Malformed(file[..(24 + 16 + 60 + 7)]);
        Assert.Equal(24 + 16 + 60, e.Offset);
        Assert.Contains("truncated record header", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedRecordDataIsRefused()
    {
        var file = Write(false, (0, Frame(60, 1)));
        var e = Malformed(file[..^1]);
        Assert.Equal(24, e.Offset);
        Assert.Contains("truncated record", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordLongerThanSnaplenIsRefused()
    {
        var file = Write(false, (0, Frame(60, 1)), (0, Frame(100, 2)));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16), 64); // snaplen 64
        var e = Malformed(file);
        Assert.Equal(24 + 16 + 60, e.Offset);
        Assert.Contains("snaplen 64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordAbove256KiBIsRefusedEvenWithoutSnaplen()
    {
        var file = Write(false, (0, Frame(60, 1)));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16), 0); // snaplen 0: "unlimited"
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(24 + 8), 300_000);
        var e = Malformed(file);
        Assert.Equal(24, e.Offset);
        Assert.Contains("262144", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyCaptureHasNoPackets()
    {
        Assert.Empty(ReadAll(Write(true)));
    }
}
