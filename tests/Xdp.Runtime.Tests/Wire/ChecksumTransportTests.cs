using System.Buffers.Binary;
using System.Net;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Wire;

public class ChecksumTransportTests
{
    public static TheoryData<string, string> GoldenIpv4 => new()
    {
        { nameof(GoldenFrames.Ipv4Udp), GoldenFrames.Ipv4Udp },
        { nameof(GoldenFrames.Ipv4Tcp), GoldenFrames.Ipv4Tcp },
        { nameof(GoldenFrames.Ipv4TcpSyn), GoldenFrames.Ipv4TcpSyn },
        { nameof(GoldenFrames.Ipv4Icmp), GoldenFrames.Ipv4Icmp },
        { nameof(GoldenFrames.Ipv4UdpChecksumAllOnes), GoldenFrames.Ipv4UdpChecksumAllOnes },
    };

    public static TheoryData<string, string> GoldenIpv6 => new()
    {
        { nameof(GoldenFrames.Ipv6Udp), GoldenFrames.Ipv6Udp },
        { nameof(GoldenFrames.Ipv6Tcp), GoldenFrames.Ipv6Tcp },
        { nameof(GoldenFrames.Ipv6Icmp), GoldenFrames.Ipv6Icmp },
        { nameof(GoldenFrames.Ipv6NeighborSolicitation), GoldenFrames.Ipv6NeighborSolicitation },
        { nameof(GoldenFrames.Ipv6NeighborAdvertisement), GoldenFrames.Ipv6NeighborAdvertisement },
        { nameof(GoldenFrames.Ipv6HopByHopDestinationUdp), GoldenFrames.Ipv6HopByHopDestinationUdp },
        { nameof(GoldenFrames.Ipv6RoutingUdp), GoldenFrames.Ipv6RoutingUdp },
    };

    [Theory]
    [MemberData(nameof(GoldenIpv4))]
    public void ComputesScapyChecksumsOverIpv4(string name, string golden)
    {
        var frame = Hex.Bytes(golden);
        Assert.True(Ipv4Header.TryCreate(frame.AsSpan(14), out var ip), name);
        var offset = Checksum.TransportChecksumOffset(ip.Protocol);
        var stored = BinaryPrimitives.ReadUInt16BigEndian(ip.Payload.Slice(offset));
        Assert.True(Checksum.TryComputeTransport(ip, out var computed));
        Assert.Equal(stored, computed);
        Assert.True(Checksum.IsTransportValid(ip));
        // Fill from a zeroed and from a garbage field: the bytes come back.
        ip.Payload.Slice(offset, 2).Fill(0xA5);
        Assert.False(Checksum.IsTransportValid(ip));
        Assert.True(Checksum.TryFillTransport(ip));
        Assert.Equal(Hex.Bytes(golden), frame);
    }

    [Theory]
    [MemberData(nameof(GoldenIpv6))]
    public void ComputesScapyChecksumsOverIpv6(string name, string golden)
    {
        var frame = Hex.Bytes(golden);
        Assert.True(Ipv6Header.TryCreate(frame.AsSpan(14), out var ip), name);
        Assert.True(ip.TryFindTransport(out var protocol, out var transport));
        var field = ip.PacketBytes.Slice(transport + Checksum.TransportChecksumOffset(protocol), 2);
        var stored = BinaryPrimitives.ReadUInt16BigEndian(field);
        Assert.True(Checksum.TryComputeTransport(ip, out var computed));
        Assert.Equal(stored, computed);
        Assert.True(Checksum.IsTransportValid(ip));
        field.Clear();
        Assert.False(Checksum.IsTransportValid(ip));
        Assert.True(Checksum.TryFillTransport(ip));
        Assert.Equal(Hex.Bytes(golden), frame);
    }

    [Fact]
    public void UdpComputedZeroIsSentAsAllOnes()
    {
        // | eth | 198.18.0.1 -> 198.19.1.2 | UDP 4000 -> 80 payload 62c1 | scapy also sends 0xffff.
        var frame = Hex.Bytes(GoldenFrames.Ipv4UdpChecksumAllOnes);
        Assert.True(Ipv4Header.TryCreate(frame.AsSpan(14), out var ip));
        Assert.True(Checksum.TryComputeTransport(ip, out var checksum));
        Assert.Equal(0xFFFF, checksum);
        var built = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv4("198.18.0.1", "198.19.1.2").Udp(4000, 80, [0x62, 0xc1]).Build();
        Assert.Equal(frame, built);
    }

    [Fact]
    public void ZeroUdpChecksumMeansNoneOverIpv4ButIsInvalidOverIpv6()
    {
        var v4 = Hex.Bytes(GoldenFrames.Ipv4Udp);
        v4[40] = v4[41] = 0;
        Assert.True(Ipv4Header.TryCreate(v4.AsSpan(14), out var ip4));
        Assert.True(Checksum.IsTransportValid(ip4));

        var v6 = Hex.Bytes(GoldenFrames.Ipv6Udp);
        v6[60] = v6[61] = 0;
        Assert.True(Ipv6Header.TryCreate(v6.AsSpan(14), out var ip6));
        Assert.False(Checksum.IsTransportValid(ip6));
    }

    [Fact]
    public void RefusesFragmentsOtherProtocolsAndShortTransports()
    {
        var frame = Hex.Bytes(GoldenFrames.Ipv4Udp);
        frame[20] = 0x20; // MF
        Assert.True(Ipv4Header.TryCreate(frame.AsSpan(14), out var ip));
        Assert.False(Checksum.TryComputeTransport(ip, out _));
        Assert.False(Checksum.IsTransportValid(ip));

        var gre = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv4("198.18.0.1", "198.19.1.2", protocol: IpProtocol.Gre).Payload(new byte[8]).Build();
        Assert.True(Ipv4Header.TryCreate(gre.AsSpan(14), out ip));
        Assert.False(Checksum.TryComputeTransport(ip, out _));

        var shortTcp = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv6("2001:db8::1", "2001:db8::2", nextHeader: IpProtocol.Tcp).Payload(new byte[19]).Build();
        Assert.True(Ipv6Header.TryCreate(shortTcp.AsSpan(14), out var ip6));
        Assert.False(Checksum.TryComputeTransport(ip6, out _));
        Assert.False(Checksum.TryFillTransport(ip6));
    }

    [Fact]
    public void PseudoHeadersEqualTheSumOfTheRfcLayouts()
    {
        var random = new Random(768);
        var v4 = new byte[12];
        var v6 = new byte[40];
        for (var i = 0; i < 1000; i++)
        {
            // RFC 768: source, destination, zero, protocol, UDP length.
            random.NextBytes(v4);
            v4[8] = 0;
            var length4 = BinaryPrimitives.ReadUInt16BigEndian(v4.AsSpan(10));
            var sum4 = Checksum.PseudoHeaderV4(BitConverter.ToUInt32(v4, 0), BitConverter.ToUInt32(v4, 4), v4[9], length4);
            Assert.Equal(Checksum.Fold(Checksum.SumScalar(v4)), Checksum.Fold(sum4));

            // RFC 8200 section 8.1: source, destination, 32-bit upper-layer length, 3 zero octets, next header.
            random.NextBytes(v6);
            v6[36] = v6[37] = v6[38] = 0;
            var length6 = BinaryPrimitives.ReadUInt32BigEndian(v6.AsSpan(32));
            var sum6 = Checksum.PseudoHeaderV6(v6.AsSpan(0, 16), v6.AsSpan(16, 16), v6[39], length6);
            Assert.Equal(Checksum.Fold(Checksum.SumScalar(v6)), Checksum.Fold(sum6));
        }
    }

    [Fact]
    public void UpdateUdpKeepsZeroAndMapsComputedZeroToAllOnes()
    {
        // A "no checksum" UDP datagram stays without one whatever changes (RFC 768).
        Assert.Equal(0, Checksum.UpdateUdp16(0, 0x1234, 0x4321));
        Assert.Equal(0, Checksum.UpdateUdp32(0, 0xC612_0001, 0xC613_0001));
        Assert.Equal(0, Checksum.UpdateUdp64(0, 0x2001_0db8_0000_0001, 0x2001_0db8_0000_0002));
        Assert.Equal(0, Checksum.UpdateUdp(0, [1, 2], [3, 4]));
        // 0xffff (one's-complement zero sum) with a no-op change: eqn. 3 gives 0x0000, UDP must send 0xffff.
        Assert.Equal(0x0000, Checksum.Update16(0xFFFF, 0x1234, 0x1234));
        Assert.Equal(0xFFFF, Checksum.UpdateUdp16(0xFFFF, 0x1234, 0x1234));
        Assert.Equal(0xFFFF, Checksum.UpdateUdp32(0xFFFF, 0x1234_5678, 0x1234_5678));
        Assert.Equal(0xFFFF, Checksum.UpdateUdp64(0xFFFF, 42, 42));
        Assert.Equal(0xFFFF, Checksum.UpdateUdp(0xFFFF, [9, 9], [9, 9]));
        Assert.Equal(0xFFFF, Checksum.NonZero(0));
        Assert.Equal(0x1234, Checksum.NonZero(0x1234));
    }

    [Fact]
    public void WideUpdatesMatchWordByWordUpdates()
    {
        var random = new Random(1624);
        Span<byte> oldBytes = stackalloc byte[8];
        Span<byte> newBytes = stackalloc byte[8];
        for (var i = 0; i < 10_000; i++)
        {
            var checksum = (ushort)random.Next(0, 0x10000);
            var oldValue = (ulong)random.NextInt64();
            var newValue = (ulong)random.NextInt64();
            var words = checksum;
            for (var w = 3; w >= 0; w--) words = Checksum.Update16(words, (ushort)(oldValue >> (16 * w)), (ushort)(newValue >> (16 * w)));
            Assert.Equal(Checksum.NonZero(words), Checksum.NonZero(Checksum.Update64(checksum, oldValue, newValue)));
            BinaryPrimitives.WriteUInt64BigEndian(oldBytes, oldValue);
            BinaryPrimitives.WriteUInt64BigEndian(newBytes, newValue);
            Assert.Equal(Checksum.Update64(checksum, oldValue, newValue), Checksum.Update(checksum, oldBytes, newBytes));
        }
    }

    public static TheoryData<string, string> Ipv6Transports => new()
    {
        { "udp", GoldenFrames.Ipv6Udp },
        { "tcp", GoldenFrames.Ipv6Tcp },
        { "icmpv6", GoldenFrames.Ipv6Icmp },
        { "udp behind extension headers", GoldenFrames.Ipv6HopByHopDestinationUdp },
    };

    [Theory]
    [MemberData(nameof(Ipv6Transports))]
    public void LocatorSwapWithUpdate64KeepsEveryTransportChecksumValid(string name, string golden)
    {
        // | SIR 2001:db8:b::/64 -> locator 2001:db8:ff:1::/64 | the ILA rewrite, RFC 1624 adjusted.
        var frame = Hex.Bytes(golden);
        Assert.True(Ipv6Header.TryCreate(frame.AsSpan(14), out var ip), name);
        Assert.True(ip.TryFindTransport(out var protocol, out var transport));
        var field = ip.PacketBytes.Slice(transport + Checksum.TransportChecksumOffset(protocol), 2);
        var prefix = ip.DestinationBytes.Slice(0, 8);
        var oldPrefix = BinaryPrimitives.ReadUInt64BigEndian(prefix);
        var newPrefix = BinaryPrimitives.ReadUInt64BigEndian(IPAddress.Parse("2001:db8:ff:1::").GetAddressBytes());
        BinaryPrimitives.WriteUInt64BigEndian(prefix, newPrefix);
        Assert.False(Checksum.IsTransportValid(ip));
        var old = BinaryPrimitives.ReadUInt16BigEndian(field);
        var updated = protocol == IpProtocol.Udp ? Checksum.UpdateUdp64(old, oldPrefix, newPrefix) : Checksum.Update64(old, oldPrefix, newPrefix);
        BinaryPrimitives.WriteUInt16BigEndian(field, updated);
        Assert.True(Checksum.IsTransportValid(ip));
        Assert.True(Checksum.TryComputeTransport(ip, out var recomputed));
        // 0x0000 and 0xFFFF are the same one's-complement value.
        Assert.Equal(Checksum.NonZero(recomputed), Checksum.NonZero(updated));
    }

    [Fact]
    public void UdpAddressRewriteOverIpv4MatchesRecomputation()
    {
        var random = new Random(32);
        for (var i = 0; i < 2000; i++)
        {
            var payload = new byte[random.Next(0, 40)];
            random.NextBytes(payload);
            var frame = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv4("198.18.0.1", "198.19.1.2").Udp(4000, 80, payload).Build();
            Assert.True(Ipv4Header.TryCreate(frame.AsSpan(14), out var ip));
            Assert.True(UdpHeader.TryCreate(ip.Payload, out var udp));
            var oldAddress = ip.DestinationAddress;
            var newAddress = NetworkOrder.FromHost(0xC612_0000u | (uint)random.Next(0, 0x20000));
            ip.DestinationAddress = newAddress;
            udp.Checksum = Checksum.UpdateUdp32(udp.Checksum, NetworkOrder.ToHost(oldAddress), NetworkOrder.ToHost(newAddress));
            Assert.NotEqual(0, udp.Checksum);
            Assert.True(Checksum.IsTransportValid(ip));
            Assert.True(Checksum.TryComputeTransport(ip, out var recomputed));
            Assert.Equal(recomputed, udp.Checksum);
        }
    }
}
