using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Wire;
using static Xdp.Ila.Tests.IlaPackets;

namespace Xdp.Ila.Tests;

public unsafe class IlaStageTests
{
    private static readonly ulong Sir = IlaPrefix.Parse("2001:db8:5151::");
    private static readonly IlaTranslator Host = new(
        [new IlaDomain(Sir, new IlaMappingTableBuilder().Add(IlaIdentifier.Parse("1:0:0:2"), IlaPrefix.Parse("2001:db8:b::"), IlaChecksumMode.NeutralMap).Build())],
        [new IlaLocalLocator(IlaPrefix.Parse("2001:db8:a::"), Sir, IlaChecksumMode.NeutralMap)]);

    private static (Verdict Verdict, DropReason Reason) Run(byte[] frame, IlaMissAction miss = IlaMissAction.Drop)
    {
        fixed (byte* data = frame)
        {
            var context = new PacketContext(data, frame.Length, 0, 0, 0);
            var verdict = new IlaStage(Host, miss).Process(ref context);
            return (verdict, context.Reason);
        }
    }

    // | eth | 2001:db8:5151::1:0:0:1 -> SIR 2001:db8:5151::1:0:0:2 | TCP | -> ILA 2001:db8:b:0:1001:0:0:4148
    [Fact]
    public void Sir_destination_is_translated_and_continues()
    {
        var frame = Frame(Ipv6("2001:db8:5151::1:0:0:2", Transport.Tcp));
        Assert.Equal((Verdict.Continue, DropReason.None), Run(frame));
        Assert.Equal("2001:db8:b:0:1001:0:0:4148", Destination(frame.AsSpan(14)));
        Assert.True(TransportChecksumValid(frame.AsSpan(14)));
    }

    // | eth | -> ILA 2001:db8:a:0:1001:0:0:4148 | UDP | -> SIR 2001:db8:5151::1:0:0:2
    [Fact]
    public void Our_locator_is_translated_back_to_the_sir_address()
    {
        var sirPacket = Ipv6("2001:db8:5151::1:0:0:2", Transport.Udp);
        var packet = (byte[])sirPacket.Clone();
        IlaTranslator.RewriteToIla(packet, IlaPrefix.Parse("2001:db8:a::"), IlaChecksumMode.NeutralMap);
        var frame = Frame(packet);
        Assert.Equal((Verdict.Continue, DropReason.None), Run(frame));
        Assert.Equal(sirPacket, frame.AsSpan(14).ToArray());
    }

    [Fact]
    public void Miss_drops_or_forwards_untranslated_as_configured()
    {
        var frame = Frame(Ipv6("2001:db8:5151::1:0:0:7", Transport.Tcp));
        var original = (byte[])frame.Clone();
        Assert.Equal((Verdict.Drop, DropReason.IlaNoMapping), Run(frame, IlaMissAction.Drop));
        Assert.Equal((Verdict.Continue, DropReason.None), Run(frame, IlaMissAction.Forward));
        Assert.Equal(original, frame);
        Assert.Equal("ila-no-mapping", DropReasons.Name(DropReason.IlaNoMapping));
    }

    [Fact]
    public void Non_ila_traffic_passes_untouched()
    {
        var other = Frame(Ipv6("2001:db8:9::1", Transport.Icmpv6));
        var ipv4 = Frame(new byte[40], EtherType.Ipv4);
        foreach (var frame in new[] { other, ipv4 })
        {
            var original = (byte[])frame.Clone();
            Assert.Equal((Verdict.Continue, DropReason.None), Run(frame));
            Assert.Equal(original, frame);
        }
    }

    [Fact]
    public void Malformed_ipv6_is_dropped_under_named_reasons()
    {
        var packet = Ipv6("2001:db8:5151::1:0:0:2", Transport.Tcp);
        Assert.Equal((Verdict.Drop, DropReason.Malformed), Run(Frame(packet.AsSpan(0, 39).ToArray())));
        Assert.Equal((Verdict.Drop, DropReason.Malformed), Run(new byte[10]));
        var badVersion = (byte[])packet.Clone();
        badVersion[0] = 0x40;
        Assert.Equal((Verdict.Drop, DropReason.BadIpv6Header), Run(Frame(badVersion)));
        var longPayload = (byte[])packet.Clone();
        longPayload[4] = 0xFF;
        Assert.Equal((Verdict.Drop, DropReason.BadIpv6Header), Run(Frame(longPayload)));
    }
}
