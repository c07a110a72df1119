using System.Net;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Wire;

public class Icmpv6HeaderTests
{
    [Fact]
    public void DeconstructsGoldenEchoAndVerifiesChecksumWithPseudoHeader()
    {
        // | eth | 2001:db8:a::1 -> 2001:db8:b::2 | ICMPv6 echo id 7 seq 1 "ping" |
        var frame = Hex.Bytes(GoldenFrames.Ipv6Icmp);
        Assert.True(Ipv6Header.TryCreate(frame.AsSpan(14), out var ip));
        Assert.True(Icmpv6Header.TryCreate(ip.Payload, out var icmp));
        Assert.Equal(Icmpv6Header.TypeEchoRequest, icmp.Type);
        Assert.False(icmp.IsError);
        Assert.Equal(7, icmp.Identifier);
        Assert.Equal(1, icmp.SequenceNumber);
        Assert.Equal(0x4556, icmp.Checksum);
        Assert.True(icmp.IsChecksumValid(ip.SourceBytes, ip.DestinationBytes));
        Assert.Equal(0x4556, icmp.ComputeChecksum(ip.SourceBytes, ip.DestinationBytes));
        // Another destination (an ILA locator swap without adjustment) breaks it.
        Assert.False(icmp.IsChecksumValid(ip.SourceBytes, ip.SourceBytes));
        Assert.Equal(0x4556, Checksum.TryComputeTransport(ip, out var viaIp) ? viaIp : 0);
    }

    [Fact]
    public void BuilderIcmpv6EchoReproducesScapyBytes()
    {
        var built = PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv6("2001:db8:a::1", "2001:db8:b::2")
            .Icmpv6Echo(7, 1, "ping"u8.ToArray()).Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv6Icmp), built);
        Assert.Throws<InvalidOperationException>(() => PacketBuilder.Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Ipv4("198.18.0.1", "198.18.0.2").Icmpv6Echo(1, 1));
    }

    [Fact]
    public void ReadsPacketTooBigMtuAndRefusesShortMessages()
    {
        var bytes = Hex.Bytes("020000000000050000000000");
        Assert.True(Icmpv6Header.TryCreate(bytes, out var icmp));
        Assert.Equal(Icmpv6Header.TypePacketTooBig, icmp.Type);
        Assert.True(icmp.IsError);
        Assert.Equal(1280u, icmp.Mtu);
        Assert.Equal(4, icmp.Body.Length);
        Assert.False(Icmpv6Header.TryCreate(bytes.AsSpan(0, 7), out _));
    }
}

public class NeighborDiscoveryTests
{
    [Fact]
    public void DeconstructsGoldenSolicitation()
    {
        // | eth 02:..:01 -> 33:33:ff:00:00:02 | 2001:db8:a::1 -> ff02::1:ff00:2 hlim 255 | NS 2001:db8:a::2, SLLA |
        var frame = Hex.Bytes(GoldenFrames.Ipv6NeighborSolicitation);
        Assert.True(Ipv6Header.TryCreate(frame.AsSpan(14), out var ip));
        Assert.Equal(255, ip.HopLimit);
        Assert.True(NeighborSolicitation.TryCreate(ip.Payload, out var ns));
        Assert.Equal(NetworkOrder.AddressV6(IPAddress.Parse("2001:db8:a::2")), ns.TargetAddress);
        Assert.Equal(IPAddress.Parse("2001:db8:a::2"), new IPAddress(ns.TargetBytes));
        Assert.True(ns.HasSourceLinkLayerAddress);
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:01"), ns.SourceLinkLayerAddress);
        Assert.True(Checksum.IsTransportValid(ip));
        Assert.False(NeighborAdvertisement.TryCreate(ip.Payload, out _));
    }

    [Fact]
    public void DeconstructsGoldenAdvertisement()
    {
        // | eth | 2001:db8:a::2 -> 2001:db8:a::1 hlim 255 | NA S O 2001:db8:a::2, TLLA 02:..:02 |
        var frame = Hex.Bytes(GoldenFrames.Ipv6NeighborAdvertisement);
        Assert.True(Ipv6Header.TryCreate(frame.AsSpan(14), out var ip));
        Assert.True(NeighborAdvertisement.TryCreate(ip.Payload, out var na));
        Assert.False(na.Router);
        Assert.True(na.Solicited);
        Assert.True(na.Override);
        Assert.Equal(NetworkOrder.AddressV6(IPAddress.Parse("2001:db8:a::2")), na.TargetAddress);
        Assert.True(na.HasTargetLinkLayerAddress);
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:02"), na.TargetLinkLayerAddress);
        Assert.Equal(0x8a53, na.Checksum);
        Assert.False(NeighborSolicitation.TryCreate(ip.Payload, out _));
    }

    [Fact]
    public void BuilderReproducesScapySolicitationAndAdvertisement()
    {
        var ns = PacketBuilder.Ethernet("33:33:ff:00:00:02", "02:00:00:00:00:01").Ipv6("2001:db8:a::1", "ff02::1:ff00:2", hopLimit: 255)
            .NeighborSolicitation("2001:db8:a::2", "02:00:00:00:00:01").Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv6NeighborSolicitation), ns);
        var na = PacketBuilder.Ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").Ipv6("2001:db8:a::2", "2001:db8:a::1", hopLimit: 255)
            .NeighborAdvertisement("2001:db8:a::2", "02:00:00:00:00:02").Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.Ipv6NeighborAdvertisement), na);
    }

    [Fact]
    public void FlagsAreWritable()
    {
        var message = new byte[NeighborAdvertisement.LengthWithLinkLayerAddress];
        NeighborAdvertisement.Write(message, NetworkOrder.AddressV6(IPAddress.Parse("2001:db8::1")), MacAddress.Parse("02:00:00:00:00:09"), true, false, false);
        Assert.True(NeighborAdvertisement.TryCreate(message, out var na));
        Assert.True(na.Router && !na.Solicited && !na.Override);
        na.Router = false;
        na.Solicited = true;
        na.Override = true;
        Assert.Equal(0x60, message[4]);
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:09"), na.TargetLinkLayerAddress);
    }

    [Fact]
    public void SolicitationWithoutOptionsHasNoLinkLayerAddress()
    {
        // Duplicate Address Detection probes come from :: and carry no SLLA (RFC 4862 section 5.4.2).
        var frame = PacketBuilder.Ethernet("33:33:ff:00:00:02", "02:00:00:00:00:01").Ipv6("::", "ff02::1:ff00:2", hopLimit: 255)
            .NeighborSolicitation("2001:db8:a::2").Build();
        Assert.True(NeighborSolicitation.TryCreate(frame.AsSpan(54), out var ns));
        Assert.False(ns.HasSourceLinkLayerAddress);
        Assert.Equal(MacAddress.Zero, ns.SourceLinkLayerAddress);
    }

    public static TheoryData<string, int, byte> MalformedSolicitations => new()
    {
        { "truncated below 24 bytes", -1, 0 },
        { "code not 0", 1, 1 },
        { "multicast target", 8, 0xFF },
        { "zero-length option", 25, 0 },
        { "option running past the message", 25, 2 },
    };

    [Theory]
    [MemberData(nameof(MalformedSolicitations))]
    public void RefusesMalformedSolicitation(string why, int offset, byte value)
    {
        var message = Hex.Bytes(GoldenFrames.Ipv6NeighborSolicitation)[54..];
        if (offset < 0)
        {
            Assert.False(NeighborSolicitation.TryCreate(message.AsSpan(0, 23), out _), why);
            return;
        }
        message[offset] = value;
        Assert.False(NeighborSolicitation.TryCreate(message, out _), why);
    }

    [Fact]
    public void OptionWalkIsBounded()
    {
        // 17 one-unit options: well-formed each, but more than the constant bound.
        var options = new byte[8 * (NdpOptions.MaxOptions + 1)];
        for (var i = 0; i < options.Length; i += 8)
        {
            options[i] = 14; // nonce option type, any type counts
            options[i + 1] = 1;
        }
        Assert.False(NdpOptions.TryFind(options, NdpOptions.SourceLinkLayerAddress, out _));
        Assert.True(NdpOptions.TryFind(options.AsSpan(0, 8 * NdpOptions.MaxOptions), NdpOptions.SourceLinkLayerAddress, out var offset));
        Assert.Equal(-1, offset);
        Assert.False(NdpOptions.TryFind(new byte[] { 1 }, 1, out _)); // a lone type byte
    }
}

public class ArpPacketTests
{
    [Fact]
    public void DeconstructsGoldenRequest()
    {
        // | eth 02:..:01 -> broadcast | ARP who-has 198.18.0.2 tell 198.18.0.1 |
        var frame = Hex.Bytes(GoldenFrames.ArpRequest);
        Assert.True(EthernetFrame.TryCreate(frame, out var eth));
        Assert.Equal(EtherType.Arp, eth.EtherType);
        Assert.True(ArpPacket.TryCreate(eth.Payload, out var arp));
        Assert.True(arp.IsRequest);
        Assert.False(arp.IsReply);
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:01"), arp.SenderHardwareAddress);
        Assert.Equal(NetworkOrder.AddressV4(IPAddress.Parse("198.18.0.1")), arp.SenderProtocolAddress);
        Assert.Equal(MacAddress.Zero, arp.TargetHardwareAddress);
        Assert.Equal(NetworkOrder.AddressV4(IPAddress.Parse("198.18.0.2")), arp.TargetProtocolAddress);
        Assert.False(arp.IsProbe);
        Assert.False(arp.IsGratuitous);
    }

    [Fact]
    public void BuilderReproducesScapyBytesAndRequestTurnsIntoReplyInPlace()
    {
        var built = PacketBuilder.Ethernet("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01")
            .Arp(ArpPacket.OperationRequest, "02:00:00:00:00:01", "198.18.0.1", "00:00:00:00:00:00", "198.18.0.2").Build();
        Assert.Equal(Hex.Bytes(GoldenFrames.ArpRequest), built);

        Assert.True(ArpPacket.TryCreate(built.AsSpan(14), out var arp));
        var asker = arp.SenderHardwareAddress;
        var askerIp = arp.SenderProtocolAddress;
        var wanted = arp.TargetProtocolAddress;
        arp.Operation = ArpPacket.OperationReply;
        arp.TargetHardwareAddress = asker;
        arp.TargetProtocolAddress = askerIp;
        arp.SenderHardwareAddress = MacAddress.Parse("02:00:00:00:00:02");
        arp.SenderProtocolAddress = wanted;
        var reply = PacketBuilder.Ethernet("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01")
            .Arp(ArpPacket.OperationReply, "02:00:00:00:00:02", "198.18.0.2", "02:00:00:00:00:01", "198.18.0.1").Build();
        Assert.Equal(reply, built);
    }

    [Theory]
    [InlineData(1, 0x06)] // hardware type 0x0601
    [InlineData(2, 0x86)] // protocol type 0x86dd
    [InlineData(4, 0x08)] // HLEN 8
    [InlineData(5, 0x10)] // PLEN 16
    public void RefusesOtherThanEthernetIpv4(int offset, byte value)
    {
        var bytes = Hex.Bytes(GoldenFrames.ArpRequest)[14..];
        bytes[offset] = value;
        Assert.False(ArpPacket.TryCreate(bytes, out _));
    }

    [Fact]
    public void RefusesTruncatedAndRecognisesProbe()
    {
        var bytes = Hex.Bytes(GoldenFrames.ArpRequest)[14..];
        Assert.False(ArpPacket.TryCreate(bytes.AsSpan(0, 27), out _));
        bytes[14] = bytes[15] = bytes[16] = bytes[17] = 0;
        Assert.True(ArpPacket.TryCreate(bytes, out var probe));
        Assert.True(probe.IsProbe);
    }
}
