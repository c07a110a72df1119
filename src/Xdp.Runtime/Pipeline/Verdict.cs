namespace Xdp.Runtime.Pipeline;

/// <summary>What a stage decided for a packet.</summary>
public enum Verdict : byte
{
    /// <summary>Hand the packet to the next stage.</summary>
    Continue = 0,
    /// <summary>Transmit on <see cref="PacketContext.EgressInterface"/>.</summary>
    Tx = 1,
    /// <summary>Drop; <see cref="PacketContext.Reason"/> names why.</summary>
    Drop = 2,
    /// <summary>Not the data plane's packet: the kernel should have it (decided by steering).</summary>
    Pass = 3,
}
