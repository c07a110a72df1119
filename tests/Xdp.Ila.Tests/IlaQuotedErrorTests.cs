using System.Buffers.Binary;
using System.Net;
using static Xdp.Ila.Tests.IlaPackets;

namespace Xdp.Ila.Tests;

/// <summary>
/// ICMPv6 errors quoting a packet host A translated SIR->ILA: the quoted destination goes back to the SIR address of
/// the mapping with that locator, in every checksum mode, and the error's checksum stays valid.
/// </summary>
public class IlaQuotedErrorTests
{
    private const ulong Sir = 0x2001_0db8_5151_0000UL, LocatorB = 0x2001_0db8_000b_0000UL, LocatorA = 0x2001_0db8_000a_0000UL;
    private const string C2 = "2001:db8:5151::1:0:0:2";
    private const string Router = "2001:db8:ff::1";

    private static IlaTranslator Translator(IlaChecksumMode mode)
    {
        var mappings = new IlaMappingTableBuilder();
        mappings.Add(IlaIdentifier.Parse("1:0:0:2"), LocatorB, mode);
        return new IlaTranslator([new IlaDomain(Sir, mappings.Build())], [new IlaLocalLocator(LocatorA, Sir, mode)]);
    }

    /// <summary>| IPv6 router -> SIR c1 | ICMPv6 type | quote |, checksum filled.</summary>
    private static byte[] Error(byte type, ReadOnlySpan<byte> quote)
    {
        var p = new byte[40 + 8 + quote.Length];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(8 + quote.Length));
        p[6] = Icmpv6;
        p[7] = 64;
        IPAddress.Parse(Router).TryWriteBytes(p.AsSpan(8), out _);
        IPAddress.Parse(Source).TryWriteBytes(p.AsSpan(24), out _);
        p[40] = type;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(44), 1280);
        quote.CopyTo(p.AsSpan(48));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(42), ComputeTransportChecksum(p));
        return p;
    }

    [Theory]
    [InlineData(IlaChecksumMode.NeutralMap)]
    [InlineData(IlaChecksumMode.NeutralMapAuto)]
    [InlineData(IlaChecksumMode.AdjustTransport)]
    [InlineData(IlaChecksumMode.NoAction)]
    public void EveryErrorTypeQuotingAnIlaDestinationGetsTheSirAddressBack(IlaChecksumMode mode)
    {
        foreach (var transport in AllTransports)
        {
            foreach (byte type in new byte[] { 1, 2, 3, 4 })
            {
                var original = Ipv6(C2, transport);
                var sent = (byte[])original.Clone();
                Assert.Equal(IlaTranslationResult.Translated, IlaTranslator.RewriteToIla(sent, LocatorB, mode));
                var error = Error(type, sent);

                Assert.Equal(IlaTranslationResult.Translated, Translator(mode).TranslateQuotedError(error));
                Assert.Equal(original, error.AsSpan(48).ToArray());
                Assert.Equal(0, ComputeTransportChecksum(error));
            }
        }
    }

    [Fact]
    public void AQuoteOfAnotherLocatorOrANonErrorIsLeftAlone()
    {
        var sent = Ipv6(C2, Transport.Udp);
        IlaTranslator.RewriteToIla(sent, 0x2001_0db8_000c_0000UL, IlaChecksumMode.NeutralMap); // not where 1:0:0:2 lives
        var error = Error(2, sent);
        var before = (byte[])error.Clone();
        Assert.Equal(IlaTranslationResult.NotQuotingIla, Translator(IlaChecksumMode.NeutralMap).TranslateQuotedError(error));
        Assert.Equal(before, error);

        var echo = Ipv6(C2, Transport.Icmpv6);
        Assert.Equal(IlaTranslationResult.NotQuotingIla, Translator(IlaChecksumMode.NeutralMap).TranslateQuotedError(echo));
    }

    [Fact]
    public void TruncatedErrorsNeverThrow()
    {
        var sent = Ipv6(C2, Transport.Tcp);
        IlaTranslator.RewriteToIla(sent, LocatorB, IlaChecksumMode.AdjustTransport);
        var error = Error(1, sent);
        var translator = Translator(IlaChecksumMode.AdjustTransport);
        for (var cut = 0; cut < error.Length; cut++)
        {
            var copy = error.AsSpan(0, cut).ToArray();
            translator.TranslateQuotedError(copy);
        }
    }
}
