using Xdp.Ila;
using Xdp.Runtime.Neighbors;
using Xdp.Runtime.Offload;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Routing;
using Xdp.Vxlan;
using Xdp.Filter.Stage;

namespace XdpNet.Pipeline;

/// <summary>
/// The host's whole pipeline as one struct, so the live worker and offline replay run the exact same type:
/// completion of checksums left to offload by local senders, the neighbour discovery proxy (solicitations on local
/// interfaces answered in place), ILA translation (when domains are configured), then forwarding on the rewritten
/// address. The VXLAN stage comes first when segments are configured: frames of segment members and VXLAN packets to
/// our VTEP are switched, encapsulated or decapsulated there (it completes their checksums itself); everything else
/// goes on through the routed stages. Later stages (policy) are composed here too.
/// </summary>
public struct HostPipeline : IPacketStage
{
    public PartialChecksumStage Checksums;
    public NeighborResponderStage Neighbors;
    public IlaStage Ila;
    public ForwardingStage Forwarding;
    /// <summary>False when no ILA domain is configured: the stage is skipped rather than parsing every IPv6 packet for nothing.</summary>
    public bool IlaEnabled;
    public VxlanStage Vxlan;
    /// <summary>False when no VXLAN segment is configured.</summary>
    public bool VxlanEnabled;
    /// <summary>Policy and connection tracking; null when no policy file is configured.</summary>
    public PolicyEngine? Policy;
    /// <summary>Which interface indexes are local (container) interfaces, for the policy's directions.</summary>
    public bool[] LocalInterfaces;

    public HostPipeline(ForwardingTables tables)
        : this(tables, new IlaStage(IlaTranslator.Empty, IlaMissAction.Drop), ilaEnabled: false)
    {
    }

    /// <summary>
    /// Without the configuration the interface roles are unknown: solicitations are answered on every interface that
    /// hands them to the data plane (steering owns the solicited-node group only on local interfaces), with the
    /// host's addresses read from the kernel. <see cref="HostPipelineBuilder.Build"/> applies the roles.
    /// </summary>
    public HostPipeline(ForwardingTables tables, IlaStage ila, bool ilaEnabled)
        : this(tables, ila, ilaEnabled, new NeighborResponderStage(HostPipelineBuilder.BuildNeighbors(tables, ila.Translator, proxy: null, interfaceAddresses: null)))
    {
    }

    public HostPipeline(ForwardingTables tables, IlaStage ila, bool ilaEnabled, NeighborResponderStage neighbors)
    {
        LocalInterfaces = [];
        Forwarding = new ForwardingStage(tables);
        Ila = ila;
        IlaEnabled = ilaEnabled;
        Neighbors = neighbors;
    }

    public Verdict Process(ref PacketContext packet)
    {
        var policy = Policy;
        if (policy is null) return Route(ref packet);
        // Egress policy of the sending endpoint on the packet as it arrived; ingress policy of the receiving one on the
        // packet as it leaves. The data plane's own answers back to the sender (neighbour proxy, too-big errors) are not
        // the peer's traffic and skip the ingress check.
        var local = LocalInterfaces;
        var ingress = packet.IngressInterface;
        var reason = policy.Begin(ref packet, (uint)ingress < (uint)local.Length && local[ingress]);
        if (reason != DropReason.None) return packet.Drop(reason);
        var verdict = Route(ref packet);
        var egress = packet.EgressInterface;
        return policy.End(ref packet, verdict, egress != ingress && (uint)egress < (uint)local.Length && local[egress]);
    }

    private Verdict Route(ref PacketContext packet)
    {
        if (VxlanEnabled)
        {
            var overlay = Vxlan.Process(ref packet, Forwarding.Tables, ref Checksums);
            if (overlay != Verdict.Continue) return overlay;
        }
        Checksums.Process(ref packet);
        var neighbors = Neighbors.Process(ref packet);
        if (neighbors != Verdict.Continue) return neighbors;
        if (IlaEnabled)
        {
            var verdict = Ila.Process(ref packet);
            if (verdict != Verdict.Continue) return verdict;
        }
        return Forwarding.Process(ref packet);
    }
}
