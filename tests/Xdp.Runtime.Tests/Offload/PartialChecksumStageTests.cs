using System.Buffers.Binary;
using Xdp.Runtime.Offload;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Offload;

public unsafe class PartialChecksumStageTests
{
    private static readonly byte[] Payload = "partial checksum offload"u8.ToArray();

    public static TheoryData<string, string, bool> Cases => new()
    {
        { "198.18.1.1", "198.18.2.2", true },
        { "198.18.1.1", "198.18.2.2", false },
        { "2001:db8:1::1", "2001:db8:2::2", true },
        { "2001:db8:1::1", "2001:db8:2::2", false },
    };

    private static byte[] Build(string src, string dst, bool tcp)
    {
        var b = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01");
        b = src.Contains(':', StringComparison.Ordinal) ? b.Ipv6(src, dst) : b.Ipv4(src, dst);
        return tcp ? b.Tcp(40000, 80, TcpHeader.Flag.Ack, 1, 1, payload: Payload).Build() : b.Udp(40000, 53, Payload).Build();
    }

    /// <summary>What a Linux sender leaves in the field under CHECKSUM_PARTIAL: the folded pseudo-header sum.</summary>
    private static void MakePartial(byte[] frame, bool tcp)
    {
        var v6 = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == EtherType.Ipv6;
        var l4 = 14 + (v6 ? 40 : 20);
        var length = frame.Length - l4;
        var protocol = tcp ? IpProtocol.Tcp : IpProtocol.Udp;
        var pseudo = v6
            ? Checksum.PseudoHeaderV6(frame.AsSpan(14 + 8, 16), frame.AsSpan(14 + 24, 16), protocol, (uint)length)
            : Checksum.PseudoHeaderV4(BitConverter.ToUInt32(frame, 14 + 12), BitConverter.ToUInt32(frame, 14 + 16), protocol, (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l4 + (tcp ? 16 : 6)), Checksum.Fold(pseudo));
    }

    private static Verdict Run(byte[] frame, ref PartialChecksumStage stage)
    {
        fixed (byte* p = frame)
        {
            var ctx = new PacketContext(p, frame.Length, 0, 0, 0);
            return stage.Process(ref ctx);
        }
    }

    // | eth | IP | TCP/UDP with the checksum left to offload | -> the full checksum, as if computed by the sender
    [Theory]
    [MemberData(nameof(Cases))]
    public void APartialChecksumIsCompleted(string src, string dst, bool tcp)
    {
        var expected = Build(src, dst, tcp);
        var frame = (byte[])expected.Clone();
        MakePartial(frame, tcp);
        Assert.NotEqual(expected, frame);
        var stage = new PartialChecksumStage();
        Assert.Equal(Verdict.Continue, Run(frame, ref stage));
        Assert.Equal(expected, frame);
        Assert.Equal(1, stage.Completed);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CompleteAndCorruptChecksumsAreLeftAlone(string src, string dst, bool tcp)
    {
        var stage = new PartialChecksumStage();
        var complete = Build(src, dst, tcp);
        var copy = (byte[])complete.Clone();
        Run(copy, ref stage);
        Assert.Equal(complete, copy);

        var corrupt = Build(src, dst, tcp);
        corrupt[^1] ^= 0x5A; // payload changed after the checksum: a receiver must still see the error
        var before = (byte[])corrupt.Clone();
        Run(corrupt, ref stage);
        Assert.Equal(before, corrupt);
        Assert.Equal(0, stage.Completed);
    }

    [Fact]
    public void TruncatedFramesNeverThrow()
    {
        var frame = Build("198.18.1.1", "198.18.2.2", true);
        MakePartial(frame, true);
        var stage = new PartialChecksumStage();
        for (var n = 0; n < frame.Length; n++)
        {
            var cut = frame.AsSpan(0, n).ToArray();
            Assert.Equal(Verdict.Continue, Run(cut, ref stage));
        }
    }
}
