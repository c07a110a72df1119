using System.Buffers.Binary;
using Xdp.Runtime.Pipeline;
using static Xdp.Ila.Tests.IlaPackets;

namespace Xdp.Ila.Tests;

public class IlaMalformedTests
{
    private static readonly ulong Sir = IlaPrefix.Parse("2001:db8:5151::");
    private static readonly ulong Locator = IlaPrefix.Parse("2001:db8:b::");

    private static IlaTranslator Translator(IlaChecksumMode mode) => new(
        [new IlaDomain(Sir, new IlaMappingTableBuilder().Add(IlaIdentifier.Parse("1:0:0:2"), Locator, mode).Build())],
        [new IlaLocalLocator(IlaPrefix.Parse("2001:db8:a::"), Sir, mode)]);

    [Fact]
    public void Every_truncation_of_every_packet_is_reported_and_never_throws()
    {
        foreach (var mode in new[] { IlaChecksumMode.NeutralMap, IlaChecksumMode.NeutralMapAuto, IlaChecksumMode.AdjustTransport, IlaChecksumMode.NoAction })
        {
            var translator = Translator(mode);
            foreach (var transport in AllTransports)
            {
                foreach (var destination in new[] { "2001:db8:5151:0:1:0:0:2", "2001:db8:a:0:1001:0:0:4148" })
                {
                    var packet = Ipv6(destination, transport, payloadBytes: 0);
                    for (var length = 0; length < packet.Length; length++)
                    {
                        var cut = packet.AsSpan(0, length).ToArray();
                        Assert.Equal(IlaTranslationResult.Malformed, translator.SirToIla(cut, out _));
                        Assert.Equal(IlaTranslationResult.Malformed, translator.IlaToSir(cut));

                        // The payload length says less than the buffer holds: the transport header is cut short.
                        var shortened = (byte[])packet.Clone();
                        if (length >= 40)
                        {
                            BinaryPrimitives.WriteUInt16BigEndian(shortened.AsSpan(4), (ushort)(length - 40));
                            var result = translator.SirToIla(shortened, out _);
                            // The fixed part each transport needs before its checksum can be fixed (RFC 9293, 768, 4443).
                            var required = transport switch { Transport.Tcp => 20, Transport.Icmpv6 => 4, _ => 8 };
                            var expectMalformed = mode == IlaChecksumMode.AdjustTransport && destination.StartsWith("2001:db8:5151", StringComparison.Ordinal)
                                && length - 40 < required;
                            if (expectMalformed) Assert.Equal(IlaTranslationResult.Malformed, result);
                            else Assert.NotEqual(IlaTranslationResult.Malformed, result);
                            if (expectMalformed) Assert.Equal(packet.AsSpan(24, 16).ToArray(), shortened.AsSpan(24, 16).ToArray()); // untouched
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Random_garbage_never_throws_through_translator_or_stage()
    {
        var random = new Random(99);
        var translators = new[] { Translator(IlaChecksumMode.NeutralMap), Translator(IlaChecksumMode.AdjustTransport) };
        var buffer = new byte[200];
        for (var i = 0; i < 50_000; i++)
        {
            var length = random.Next(0, buffer.Length);
            random.NextBytes(buffer);
            buffer[0] = (byte)(0x60 | (buffer[0] & 0x0F)); // mostly version 6 so the deeper paths run
            if (length > 24) BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(24), random.Next(2) == 0 ? Sir : IlaPrefix.Parse("2001:db8:a::"));
            if (length > 6 && random.Next(2) == 0) buffer[6] = (byte)new[] { 0, 6, 17, 43, 44, 58, 60 }[random.Next(7)];
            var translator = translators[i % 2];
            translator.SirToIla(buffer.AsSpan(0, length), out _);
            translator.IlaToSir(buffer.AsSpan(0, length));
            var frame = Frame(buffer.AsSpan(0, length).ToArray());
            unsafe
            {
                fixed (byte* data = frame)
                {
                    var context = new PacketContext(data, frame.Length, 0, 0, 0);
                    var verdict = new IlaStage(translator, IlaMissAction.Drop).Process(ref context);
                    Assert.True(verdict is Verdict.Continue or Verdict.Drop);
                }
            }
        }
    }
}
