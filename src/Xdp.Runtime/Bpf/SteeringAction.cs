namespace Xdp.Runtime.Bpf;

/// <summary>What a destination prefix rule does; values are those the BPF maps store (STEER_ACTION_*).</summary>
public enum SteeringAction : byte
{
    /// <summary>The data plane owns the frame: redirect it to the AF_XDP socket.</summary>
    Own = 1,

    /// <summary>The kernel keeps the frame (e.g. the host's own address), even inside a wider owned prefix.</summary>
    Pass = 2,
}
