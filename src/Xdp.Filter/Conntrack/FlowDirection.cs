namespace Xdp.Filter.Conntrack;

/// <summary>Which way a packet travels relative to the packet that created its flow.</summary>
public enum FlowDirection : byte
{
    /// <summary>Same direction as the flow's first packet (the one policy allowed).</summary>
    Original,
    /// <summary>The other way: replies.</summary>
    Reply,
}
