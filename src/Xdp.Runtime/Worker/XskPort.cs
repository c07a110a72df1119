using Xdp.Runtime.Counters;
using Xdp.Runtime.Xsk;

namespace Xdp.Runtime.Worker;

/// <summary>One socket the worker drives, with the host interface it belongs to.</summary>
public sealed class XskPort
{
    public XskPort(XskSocket socket, int interfaceIndex, InterfaceCounters counters)
    {
        Socket = socket;
        InterfaceIndex = interfaceIndex;
        Counters = counters;
    }

    public XskSocket Socket { get; }
    /// <summary>Index of the interface in the host's interface table (what <c>PacketContext.EgressInterface</c> names).</summary>
    public int InterfaceIndex { get; }
    public InterfaceCounters Counters { get; }
}
