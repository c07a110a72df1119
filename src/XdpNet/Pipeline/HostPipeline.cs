using Xdp.Ila;
using Xdp.Runtime.Offload;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Routing;

namespace XdpNet.Pipeline;

/// <summary>
/// The host's whole pipeline as one struct, so the live worker and offline replay run the exact same type:
/// completion of checksums left to offload by local senders, ILA translation (when domains are configured), then
/// forwarding on the rewritten address. Later stages (VXLAN, policy) are composed here too.
/// </summary>
public struct HostPipeline : IPacketStage
{
    public PartialChecksumStage Checksums;
    public IlaStage Ila;
    public ForwardingStage Forwarding;
    /// <summary>False when no ILA domain is configured: the stage is skipped rather than parsing every IPv6 packet for nothing.</summary>
    public bool IlaEnabled;

    public HostPipeline(ForwardingTables tables)
        : this(tables, new IlaStage(IlaTranslator.Empty, IlaMissAction.Drop), ilaEnabled: false)
    {
    }

    public HostPipeline(ForwardingTables tables, IlaStage ila, bool ilaEnabled)
    {
        Forwarding = new ForwardingStage(tables);
        Ila = ila;
        IlaEnabled = ilaEnabled;
    }

    public Verdict Process(ref PacketContext packet)
    {
        Checksums.Process(ref packet);
        if (IlaEnabled)
        {
            var verdict = Ila.Process(ref packet);
            if (verdict != Verdict.Continue) return verdict;
        }
        return Forwarding.Process(ref packet);
    }
}
