using System.Buffers.Binary;
using static Xdp.Ila.Tests.IlaPackets;

namespace Xdp.Ila.Tests;

public class IlaRoundTripTests
{
    private static readonly IlaChecksumMode[] Modes =
        [IlaChecksumMode.NeutralMap, IlaChecksumMode.NeutralMapAuto, IlaChecksumMode.AdjustTransport, IlaChecksumMode.NoAction];

    [Fact]
    public void Random_addresses_round_trip_exactly_and_keep_checksums_valid_in_every_mode()
    {
        var random = new Random(6);
        for (var i = 0; i < 20_000; i++)
        {
            var mode = Modes[i % Modes.Length];
            var transport = AllTransports[(i / Modes.Length) % AllTransports.Length];
            var sirPrefix = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
            var locator = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
            var identifier = new IlaIdentifier((ulong)random.NextInt64() ^ ((ulong)random.Next() << 63));
            if (mode == IlaChecksumMode.NeutralMap) identifier = new IlaIdentifier(identifier.Value & ~IlaIdentifier.CBit);
            if (identifier.Validate(mode) != IlaIdentifierError.None) continue;

            var packet = Ipv6("2001:db8::1", transport, payloadBytes: random.Next(0, 64));
            BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(24), sirPrefix);
            BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(32), identifier.Value);
            if (transport != Transport.UdpZeroChecksum)
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(40 + ChecksumOffset(transport)), 0);
                var checksum = ComputeTransportChecksum(packet);
                if (transport == Transport.Udp && checksum == 0) checksum = 0xFFFF;
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(40 + ChecksumOffset(transport)), checksum);
            }
            var original = (byte[])packet.Clone();

            Assert.Equal(IlaTranslationResult.Translated, IlaTranslator.RewriteToIla(packet, locator, mode));
            Assert.Equal(locator, BinaryPrimitives.ReadUInt64BigEndian(packet.AsSpan(24)));
            if (mode == IlaChecksumMode.NeutralMap) Assert.True(new IlaIdentifier(BinaryPrimitives.ReadUInt64BigEndian(packet.AsSpan(32))).ChecksumNeutral);
            if (mode != IlaChecksumMode.NoAction && transport != Transport.UdpZeroChecksum) Assert.True(TransportChecksumValid(packet), $"{mode} {transport} #{i}");

            Assert.Equal(IlaTranslationResult.Translated, IlaTranslator.RewriteToSir(packet, sirPrefix, mode));
            Assert.Equal(original, packet);
        }
    }

    [Fact]
    public void Translator_round_trip_through_two_hosts_with_several_domains()
    {
        // Host A sends into two domains; host B owns one locator per domain.
        var sirA = IlaPrefix.Parse("2001:db8:5151::");
        var sirB = IlaPrefix.Parse("2001:db8:5252::");
        var locatorA = IlaPrefix.Parse("2001:db8:a::");
        var locatorB1 = IlaPrefix.Parse("2001:db8:b::");
        var locatorB2 = IlaPrefix.Parse("2001:db8:b:2::");
        var tableA = new IlaMappingTableBuilder().Add(IlaIdentifier.Parse("1:0:0:2"), locatorB1, IlaChecksumMode.NeutralMap, nextHop: 3).Build();
        var tableB = new IlaMappingTableBuilder().Add(IlaIdentifier.Parse("1:0:0:2"), locatorB2, IlaChecksumMode.AdjustTransport).Build();
        var hostA = new IlaTranslator([new IlaDomain(sirA, tableA), new IlaDomain(sirB, tableB)], [new IlaLocalLocator(locatorA, sirA, IlaChecksumMode.NeutralMap)]);
        var hostB = new IlaTranslator([], [new IlaLocalLocator(locatorB1, sirA, IlaChecksumMode.NeutralMap), new IlaLocalLocator(locatorB2, sirB, IlaChecksumMode.AdjustTransport)]);

        foreach (var (sir, ila, nextHop) in new[] { ("2001:db8:5151::1:0:0:2", "2001:db8:b:0:1001:0:0:4148", 3), ("2001:db8:5252::1:0:0:2", "2001:db8:b:2:1:0:0:2", -1) })
        {
            var packet = Ipv6(sir, Transport.Tcp);
            var original = (byte[])packet.Clone();
            Assert.Equal(IlaTranslationResult.NotOurLocator, hostA.IlaToSir(packet));
            Assert.Equal(IlaTranslationResult.Translated, hostA.SirToIla(packet, out var mapping));
            Assert.Equal(nextHop, mapping.NextHop);
            Assert.Equal(ila, Destination(packet));
            Assert.True(TransportChecksumValid(packet));
            Assert.Equal(IlaTranslationResult.NotInSirPrefix, hostB.SirToIla(packet, out _));
            Assert.Equal(IlaTranslationResult.Translated, hostB.IlaToSir(packet));
            Assert.Equal(original, packet);
        }
    }

    [Fact]
    public void Misses_local_identifiers_and_host_addresses_leave_the_packet_untouched()
    {
        var sir = IlaPrefix.Parse("2001:db8:5151::");
        var ours = IlaPrefix.Parse("2001:db8:a::");
        var table = new IlaMappingTableBuilder()
            .Add(IlaIdentifier.Parse("1:0:0:1"), ours, IlaChecksumMode.NeutralMap)
            .Add(IlaIdentifier.Parse("1:0:0:9"), IlaPrefix.Parse("2001:db8:b::"), IlaChecksumMode.NeutralMap)
            .Build();
        var hostAddress = Xdp.Runtime.Wire.NetworkOrder.AddressV6(System.Net.IPAddress.Parse("2001:db8:a::1"));
        var hostAddressInSir = Xdp.Runtime.Wire.NetworkOrder.AddressV6(System.Net.IPAddress.Parse("2001:db8:5151::9"));
        var translator = new IlaTranslator([new IlaDomain(sir, table)], [new IlaLocalLocator(ours, sir, IlaChecksumMode.NeutralMap)], [hostAddress, hostAddressInSir]);

        Check("2001:db8:5151::1:0:0:7", IlaTranslationResult.NoMapping, sirToIla: true);
        Check("2001:db8:5151::1:0:0:1", IlaTranslationResult.LocalIdentifier, sirToIla: true);
        Check("2001:db8:9999::1:0:0:1", IlaTranslationResult.NotInSirPrefix, sirToIla: true);
        Check("2001:db8:5151::9", IlaTranslationResult.HostAddress, sirToIla: true);
        Check("2001:db8:a::1", IlaTranslationResult.HostAddress, sirToIla: false);
        Check("2001:db8:c::1:0:0:1", IlaTranslationResult.NotOurLocator, sirToIla: false);

        void Check(string destination, IlaTranslationResult expected, bool sirToIla)
        {
            var packet = Ipv6(destination, Transport.Udp);
            var original = (byte[])packet.Clone();
            Assert.Equal(expected, sirToIla ? translator.SirToIla(packet, out _) : translator.IlaToSir(packet));
            Assert.Equal(original, packet);
        }
    }

    [Fact]
    public void Duplicate_prefixes_and_locators_are_refused()
    {
        var table = IlaMappingTable.Empty;
        Assert.Throws<ArgumentException>(() => new IlaTranslator([new IlaDomain(1, table), new IlaDomain(1, table)], []));
        Assert.Throws<ArgumentException>(() => new IlaTranslator([], [new IlaLocalLocator(2, 1, IlaChecksumMode.NoAction), new IlaLocalLocator(2, 3, IlaChecksumMode.NoAction)]));
    }
}
