using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Wire;

public class UdpHeaderTests
{
    private static byte[] GoldenUdp() => Hex.Bytes(GoldenFrames.Ipv4Udp)[34..];

    [Fact]
    public void DeconstructsGoldenHeader()
    {
        // | eth | 198.18.0.1 -> 198.19.1.2 | UDP 4000 -> 80 "hello" |
        var bytes = GoldenUdp();
        Assert.True(UdpHeader.TryCreate(bytes, out var udp));
        Assert.Equal(4000, udp.SourcePort);
        Assert.Equal(80, udp.DestinationPort);
        Assert.Equal(13, udp.Length);
        Assert.Equal(0x1ee9, udp.Checksum);
        Assert.Equal("hello"u8.ToArray(), udp.Payload.ToArray());
        Assert.Equal(13, udp.Bytes.Length);
    }

    [Fact]
    public void WritesPortsAndChecksum()
    {
        var bytes = GoldenUdp();
        Assert.True(UdpHeader.TryCreate(bytes, out var udp));
        udp.SourcePort = 0x1234;
        udp.DestinationPort = 0xABCD;
        udp.Checksum = 0;
        Assert.Equal(Hex.Bytes("1234abcd000d0000"), bytes[..8]);
    }

    [Fact]
    public void PayloadStopsAtLengthFieldNotBuffer()
    {
        var bytes = new byte[20];
        bytes[5] = 10; // length 10 in a 20-byte buffer (trailing Ethernet padding)
        Assert.True(UdpHeader.TryCreate(bytes, out var udp));
        Assert.Equal(2, udp.Payload.Length);
    }

    [Theory]
    [InlineData(7)]   // shorter than the header
    [InlineData(0)]
    public void RefusesTruncated(int length)
    {
        Assert.False(UdpHeader.TryCreate(GoldenUdp().AsSpan(0, length), out _, out var error));
        Assert.Equal(UdpHeader.Error.Truncated, error);
    }

    [Theory]
    [InlineData(7)]   // length below the header
    [InlineData(14)]  // length past the buffer
    [InlineData(0)]   // jumbogram-style 0 is not supported
    public void RefusesImpossibleLength(int length)
    {
        var bytes = GoldenUdp();
        bytes[4] = (byte)(length >> 8);
        bytes[5] = (byte)length;
        Assert.False(UdpHeader.TryCreate(bytes, out _, out var error));
        Assert.Equal(UdpHeader.Error.BadLength, error);
    }
}

public class TcpHeaderTests
{
    [Fact]
    public void DeconstructsGoldenIpv4Segment()
    {
        // | eth | 198.18.0.1 -> 198.19.1.2 | TCP 40000 -> 80 PA seq 1000 ack 2000 win 512 "GET /" |
        var bytes = Hex.Bytes(GoldenFrames.Ipv4Tcp)[34..];
        Assert.True(TcpHeader.TryCreate(bytes, out var tcp));
        Assert.Equal(40000, tcp.SourcePort);
        Assert.Equal(80, tcp.DestinationPort);
        Assert.Equal(1000u, tcp.SequenceNumber);
        Assert.Equal(2000u, tcp.AcknowledgmentNumber);
        Assert.Equal(20, tcp.HeaderLength);
        Assert.Equal(TcpHeader.Flag.Psh | TcpHeader.Flag.Ack, tcp.Flags);
        Assert.True(tcp.Ack && tcp.Psh && !tcp.Syn && !tcp.Fin && !tcp.Rst && !tcp.Urg);
        Assert.Equal(512, tcp.Window);
        Assert.Equal(0xadf0, tcp.Checksum);
        Assert.Equal(0, tcp.UrgentPointer);
        Assert.Equal(0, tcp.Options.Length);
        Assert.Equal("GET /"u8.ToArray(), tcp.Payload.ToArray());
    }

    [Fact]
    public void DeconstructsGoldenIpv6SynWithOptions()
    {
        var bytes = Hex.Bytes(GoldenFrames.Ipv6Tcp)[54..];
        Assert.True(TcpHeader.TryCreate(bytes, out var tcp));
        Assert.Equal(28, tcp.HeaderLength);
        Assert.True(tcp.Syn);
        Assert.Equal(TcpHeader.Flag.Syn, tcp.Flags);
        Assert.Equal(Hex.Bytes("020405b401030307"), tcp.Options.ToArray());
        Assert.Equal(0, tcp.Payload.Length);
        Assert.Equal(0x8046, tcp.Checksum);
    }

    [Fact]
    public void BuilderReproducesScapyBytes()
    {
        var v4 = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv4("198.18.0.1", "198.19.1.2")
            .Tcp(40000, 80, TcpHeader.Flag.Psh | TcpHeader.Flag.Ack, 1000, 2000, 512, payload: "GET /"u8.ToArray()).Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv4Tcp), v4);
        var v6 = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv6("2001:db8:a::1", "2001:db8:b::2")
            .Tcp(40000, 80, TcpHeader.Flag.Syn, 1000, 2000, 65535, Hex.Bytes("020405b401030307")).Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv6Tcp), v6);
    }

    [Theory]
    [InlineData(0x40)] // data offset 4 < 5
    [InlineData(0x00)]
    [InlineData(0x60)] // 24 bytes > 20-byte buffer
    [InlineData(0xF0)] // 60 bytes
    public void RefusesImpossibleDataOffset(byte dataOffset)
    {
        var bytes = Hex.Bytes(GoldenFrames.Ipv4TcpSyn)[34..];
        bytes[12] = dataOffset;
        Assert.False(TcpHeader.TryCreate(bytes, out _, out var error));
        Assert.Equal(TcpHeader.Error.BadDataOffset, error);
    }

    [Fact]
    public void RefusesTruncated()
    {
        var bytes = Hex.Bytes(GoldenFrames.Ipv4Tcp)[34..];
        Assert.False(TcpHeader.TryCreate(bytes.AsSpan(0, 19), out _, out var error));
        Assert.Equal(TcpHeader.Error.Truncated, error);
        Assert.True(TcpHeader.TryCreate(bytes.AsSpan(0, 20), out var tcp));
        Assert.Equal(0, tcp.Payload.Length);
    }
}

public class Icmpv4HeaderTests
{
    [Fact]
    public void DeconstructsGoldenEchoAndVerifiesChecksum()
    {
        // | eth | 198.18.0.1 -> 198.19.1.2 | ICMP echo id 7 seq 1 "ping" |
        var bytes = Hex.Bytes(GoldenFrames.Ipv4Icmp)[34..];
        Assert.True(Icmpv4Header.TryCreate(bytes, out var icmp));
        Assert.Equal(Icmpv4Header.TypeEchoRequest, icmp.Type);
        Assert.Equal(0, icmp.Code);
        Assert.Equal(7, icmp.Identifier);
        Assert.Equal(1, icmp.SequenceNumber);
        Assert.Equal(0x0007_0001u, icmp.RestOfHeader);
        Assert.False(icmp.IsError);
        Assert.True(icmp.IsChecksumValid);
        Assert.Equal("ping"u8.ToArray(), icmp.Payload.ToArray());
    }

    [Fact]
    public void EchoReplyRewriteRefillsChecksum()
    {
        var bytes = Hex.Bytes(GoldenFrames.Ipv4Icmp)[34..];
        Assert.True(Icmpv4Header.TryCreate(bytes, out var icmp));
        icmp.Type = Icmpv4Header.TypeEchoReply;
        Assert.False(icmp.IsChecksumValid);
        icmp.FillChecksum();
        Assert.True(icmp.IsChecksumValid);
        Assert.Equal(Checksum.Update16(0x1927, 0x0800, 0x0000), icmp.Checksum);
    }

    [Fact]
    public void ZeroChecksumIsInvalidAndShortIsRefused()
    {
        var bytes = Hex.Bytes(GoldenFrames.Ipv4Icmp)[34..];
        bytes[2] = bytes[3] = 0;
        Assert.True(Icmpv4Header.TryCreate(bytes, out var icmp));
        Assert.False(icmp.IsChecksumValid);
        Assert.False(Icmpv4Header.TryCreate(bytes.AsSpan(0, 7), out _));
        var error = new byte[8];
        error[0] = Icmpv4Header.TypeTimeExceeded;
        Assert.True(Icmpv4Header.TryCreate(error, out var timeExceeded));
        Assert.True(timeExceeded.IsError);
    }
}
