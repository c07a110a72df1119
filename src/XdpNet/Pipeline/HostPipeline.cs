using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Routing;

namespace XdpNet.Pipeline;

/// <summary>
/// The host's whole pipeline as one struct, so the live worker and offline replay run the exact same type.
/// Today: forwarding. Later stages (ILA, VXLAN, policy) are composed in front of it here.
/// </summary>
public struct HostPipeline : IPacketStage
{
    public ForwardingStage Forwarding;

    public HostPipeline(ForwardingTables tables) => Forwarding = new ForwardingStage(tables);

    public Verdict Process(ref PacketContext packet) => Forwarding.Process(ref packet);
}
