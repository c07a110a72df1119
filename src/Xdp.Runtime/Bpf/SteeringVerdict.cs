namespace Xdp.Runtime.Bpf;

/// <summary>The steering decision for one frame, as the BPF program makes it (and counts it).</summary>
public enum SteeringVerdict
{
    /// <summary>The data plane owns the frame (redirected, or passed when the queue has no socket).</summary>
    Own,

    /// <summary>Not owned: the kernel gets it.</summary>
    NotOwned,

    /// <summary>Too short for the headers it claims: the kernel gets it, counted apart.</summary>
    Malformed,
}
