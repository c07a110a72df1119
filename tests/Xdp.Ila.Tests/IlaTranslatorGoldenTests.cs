using System.Buffers.Binary;
using static Xdp.Ila.Tests.IlaPackets;

namespace Xdp.Ila.Tests;

/// <summary>Golden vectors: fixed inputs, expected output addresses, transport checksums verified from scratch.</summary>
public class IlaTranslatorGoldenTests
{
    private static readonly ulong SirPrefix = IlaPrefix.Parse("2001:db8:5151::");
    private static readonly ulong Locator = IlaPrefix.Parse("2001:db8:b::");

    [Fact]
    public void Kernel_documentation_example_neutral_map()
    {
        // ila.rst: SIR 3333:0:0:1:2000:0:1:87, locator 2001:0:87:0 -> 2001:0:87:0:3000:0:1:333 (C-bit set, the
        // checksum-neutral adjustment in the low 16 bits).
        foreach (var transport in AllTransports)
        {
            var packet = Ipv6("3333:0:0:1:2000:0:1:87", transport);
            var original = (byte[])packet.Clone();
            Assert.Equal(IlaTranslationResult.Translated, IlaTranslator.RewriteToIla(packet, IlaPrefix.Parse("2001:0:87:0"), IlaChecksumMode.NeutralMap));
            Assert.Equal("2001:0:87:0:3000:0:1:333", Destination(packet));
            Assert.Equal(original.AsSpan(0, 24).ToArray(), packet.AsSpan(0, 24).ToArray());
            Assert.Equal(original.AsSpan(40).ToArray(), packet.AsSpan(40).ToArray()); // transport untouched: still valid
            if (transport != Transport.UdpZeroChecksum) Assert.True(TransportChecksumValid(packet));

            Assert.Equal(IlaTranslationResult.Translated, IlaTranslator.RewriteToSir(packet, IlaPrefix.Parse("3333:0:0:1"), IlaChecksumMode.NeutralMap));
            Assert.Equal(original, packet);
        }
    }

    //  | IPv6 2001:db8:5151::1:0:0:1 -> SIR 2001:db8:5151::1:0:0:2 | transport | -> locator 2001:db8:b::
    [Theory]
    [InlineData(IlaChecksumMode.NeutralMap, "2001:db8:b:0:1001:0:0:4148")]
    [InlineData(IlaChecksumMode.NeutralMapAuto, "2001:db8:b:0:1:0:0:5148")]
    [InlineData(IlaChecksumMode.AdjustTransport, "2001:db8:b:0:1:0:0:2")]
    [InlineData(IlaChecksumMode.NoAction, "2001:db8:b:0:1:0:0:2")]
    public void Every_mode_and_transport(IlaChecksumMode mode, string expectedIla)
    {
        foreach (var transport in AllTransports)
        {
            var packet = Ipv6("2001:db8:5151:0:1:0:0:2", transport);
            var original = (byte[])packet.Clone();
            var originalChecksum = TransportChecksumField(packet, transport);

            Assert.Equal(IlaTranslationResult.Translated, IlaTranslator.RewriteToIla(packet, Locator, mode));
            Assert.Equal(expectedIla, Destination(packet));
            // Only the destination (and in adjust-transport the checksum field) changed.
            Assert.Equal(original.AsSpan(0, 24).ToArray(), packet.AsSpan(0, 24).ToArray());
            var checksumAt = 40 + ChecksumOffset(transport);
            for (var i = 40; i < packet.Length; i++)
            {
                if (i != checksumAt && i != checksumAt + 1) Assert.Equal(original[i], packet[i]);
            }

            if (transport == Transport.UdpZeroChecksum)
            {
                Assert.Equal(0, TransportChecksumField(packet, transport)); // no checksum stays no checksum
            }
            else if (mode == IlaChecksumMode.NoAction)
            {
                Assert.False(TransportChecksumValid(packet));
                Assert.Equal(originalChecksum, TransportChecksumField(packet, transport));
            }
            else
            {
                Assert.True(TransportChecksumValid(packet), $"{mode} {transport}");
                if (mode == IlaChecksumMode.AdjustTransport) Assert.NotEqual(originalChecksum, TransportChecksumField(packet, transport));
                else Assert.Equal(originalChecksum, TransportChecksumField(packet, transport));
            }

            Assert.Equal(IlaTranslationResult.Translated, IlaTranslator.RewriteToSir(packet, SirPrefix, mode));
            Assert.Equal(original, packet);
        }
    }

    [Fact]
    public void Adjust_transport_golden_checksums_follow_the_rfc_sign()
    {
        // The fix adds new - old (RFC 1624 eqn. 3). Applying old - new (the sign error reported against the kernel's
        // adj-transport) would leave a checksum off by twice the difference: the from-scratch check catches it.
        var packet = Ipv6("2001:db8:5151:0:1:0:0:2", Transport.Tcp);
        IlaTranslator.RewriteToIla(packet, Locator, IlaChecksumMode.AdjustTransport);
        var fixedChecksum = TransportChecksumField(packet, Transport.Tcp);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(56), 0);
        var recomputed = ComputeTransportChecksum(packet);
        Assert.Equal(recomputed, fixedChecksum);
    }

    [Fact]
    public void Udp_checksum_that_becomes_zero_is_sent_as_ffff()
    {
        // Search a payload whose UDP checksum after translation is 0x0000 in one's complement (0xFFFF on the wire).
        for (var seed = 0; seed < 200_000; seed++)
        {
            var packet = Ipv6("2001:db8:5151:0:1:0:0:2", Transport.Udp, payloadBytes: 4);
            BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(48), seed);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(46), 0);
            var checksum = ComputeTransportChecksum(packet);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(46), checksum == 0 ? (ushort)0xFFFF : checksum);
            var ila = (byte[])packet.Clone();
            BinaryPrimitives.WriteUInt64BigEndian(ila.AsSpan(24), Locator);
            BinaryPrimitives.WriteUInt16BigEndian(ila.AsSpan(46), 0);
            if (ComputeTransportChecksum(ila) != 0) continue;

            IlaTranslator.RewriteToIla(packet, Locator, IlaChecksumMode.AdjustTransport);
            Assert.Equal(0xFFFF, TransportChecksumField(packet, Transport.Udp));
            Assert.True(TransportChecksumValid(packet));
            return;
        }
        Assert.Fail("no payload found whose translated UDP checksum is zero");
    }

    [Fact]
    public void Neutral_map_receiver_adjusts_transport_when_the_c_bit_is_clear()
    {
        // An adjust-transport sender's packet arriving at a neutral-map host: no C-bit, checksum valid for the ILA address.
        var translator = new IlaTranslator([], [new IlaLocalLocator(Locator, SirPrefix, IlaChecksumMode.NeutralMap)]);
        foreach (var transport in new[] { Transport.Tcp, Transport.Udp, Transport.Icmpv6 })
        {
            var packet = Ipv6("2001:db8:b:0:1:0:0:2", transport);
            Assert.Equal(IlaTranslationResult.Translated, translator.IlaToSir(packet));
            Assert.Equal("2001:db8:5151:0:1:0:0:2", Destination(packet));
            Assert.True(TransportChecksumValid(packet));
        }
    }

    [Fact]
    public void Neutral_map_refuses_a_sir_address_with_the_c_bit()
    {
        var packet = Ipv6("2001:db8:5151:0:1001:0:0:2", Transport.Tcp);
        var original = (byte[])packet.Clone();
        Assert.Equal(IlaTranslationResult.CBitInSirAddress, IlaTranslator.RewriteToIla(packet, Locator, IlaChecksumMode.NeutralMap));
        Assert.Equal(original, packet);
    }

    [Theory]
    [InlineData(0)]   // hop-by-hop options
    [InlineData(60)]  // destination options
    [InlineData(43)]  // routing header, segments left 0: the IPv6 destination is the final one
    public void Adjust_transport_walks_extension_headers(byte extension)
    {
        var packet = WithExtension(Ipv6("2001:db8:5151:0:1:0:0:2", Transport.Tcp), extension, segmentsLeft: 0);
        Assert.True(ChecksumValidAt(packet, 48));
        Assert.Equal(IlaTranslationResult.Translated, IlaTranslator.RewriteToIla(packet, Locator, IlaChecksumMode.AdjustTransport));
        Assert.True(ChecksumValidAt(packet, 48));
    }

    [Fact]
    public void Adjust_transport_leaves_checksum_alone_when_a_routing_header_holds_the_final_destination()
    {
        var packet = WithExtension(Ipv6("2001:db8:5151:0:1:0:0:2", Transport.Tcp), 43, segmentsLeft: 1);
        var checksum = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(48 + 16));
        Assert.Equal(IlaTranslationResult.Translated, IlaTranslator.RewriteToIla(packet, Locator, IlaChecksumMode.AdjustTransport));
        Assert.Equal(checksum, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(48 + 16)));
        Assert.Equal("2001:db8:b:0:1:0:0:2", Destination(packet));
    }

    /// <summary>Inserts an 8-byte extension header between the fixed header and the transport (checksum unchanged:
    /// the pseudo-header's next header is the transport's).</summary>
    private static byte[] WithExtension(byte[] packet, byte type, byte segmentsLeft)
    {
        var result = new byte[packet.Length + 8];
        packet.AsSpan(0, 40).CopyTo(result);
        packet.AsSpan(40).CopyTo(result.AsSpan(48));
        result[40] = packet[6];
        result[41] = 0;
        if (type == 43) result[43] = segmentsLeft;
        else result[42] = 1; // PadN with 4 bytes of padding
        result[6] = type;
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(4), (ushort)(result.Length - 40));
        return result;
    }

    private static bool ChecksumValidAt(byte[] packet, int transportOffset)
    {
        var length = (ushort)(packet.Length - transportOffset);
        var sum = Xdp.Runtime.Wire.Checksum.PseudoHeaderV6(packet.AsSpan(8, 16), packet.AsSpan(24, 16), packet[transportOffset - 8], length);
        return Xdp.Runtime.Wire.Checksum.Finish(Xdp.Runtime.Wire.Checksum.Sum(packet.AsSpan(transportOffset), sum)) == 0;
    }
}
