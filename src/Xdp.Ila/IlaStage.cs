using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Wire;

namespace Xdp.Ila;

/// <summary>
/// The ILA pipeline stage: on an IPv6 frame, ILA->SIR when the destination locator is this host's, else SIR->ILA
/// when the destination is under a SIR prefix; the next stage routes on the rewritten address. Non-IPv6 frames and
/// IPv6 outside ILA pass on untouched. An ICMPv6 error not leaving the host has the destination of the packet it quotes translated ILA->SIR (<see cref="IlaTranslator.TranslateQuotedError"/>). Malformed IPv6 is dropped (malformed / bad-ipv6-header); an unmapped
/// identifier is dropped as ila-no-mapping or continues untranslated, per <see cref="Miss"/>.
/// <see cref="Translator"/> is a reference the host swaps between batches on reload.
/// </summary>
public struct IlaStage : IPacketStage
{
    public IlaTranslator Translator;
    public IlaMissAction Miss;

    public IlaStage(IlaTranslator translator, IlaMissAction miss)
    {
        ArgumentNullException.ThrowIfNull(translator);
        Translator = translator;
        Miss = miss;
    }

    public readonly Verdict Process(ref PacketContext packet)
    {
        if (!EthernetFrame.TryCreate(packet.Bytes, out var frame)) return packet.Drop(DropReason.Malformed);
        if (frame.EtherType != EtherType.Ipv6) return Verdict.Continue;
        var ip = frame.Payload;
        if (!Ipv6Header.TryCreate(ip, out _, out var error))
            return packet.Drop(error == Ipv6Header.Error.Truncated ? DropReason.Malformed : DropReason.BadIpv6Header);

        var translator = Translator;
        var result = translator.IlaToSir(ip);
        var outbound = false;
        if (result == IlaTranslationResult.NotOurLocator)
        {
            result = translator.SirToIla(ip, out _);
            outbound = result == IlaTranslationResult.Translated;
        }
        // An ICMPv6 error on its way to a local sender may quote a destination another host's locator replaced
        // (item 7 of the ILA design): restore the SIR address the sender knows. Errors leaving the host are left alone.
        if (!outbound && result != IlaTranslationResult.Malformed) translator.TranslateQuotedError(ip);
        return result switch
        {
            IlaTranslationResult.NoMapping when Miss == IlaMissAction.Drop => packet.Drop(DropReason.IlaNoMapping),
            IlaTranslationResult.Malformed => packet.Drop(DropReason.Malformed),
            // A SIR address carrying the C-bit cannot be mapped and would be misread on the way back.
            IlaTranslationResult.CBitInSirAddress => packet.Drop(DropReason.BadIpv6Header),
            _ => Verdict.Continue,
        };
    }
}
