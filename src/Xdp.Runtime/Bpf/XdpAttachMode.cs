namespace Xdp.Runtime.Bpf;

/// <summary>How the steering program is attached to an interface.</summary>
public enum XdpAttachMode
{
    /// <summary>Native (driver) mode if the driver supports it, otherwise generic.</summary>
    Auto,

    /// <summary>Native (driver) XDP, XDP_FLAGS_DRV_MODE: runs before an skb is built; needed for zero-copy.</summary>
    Native,

    /// <summary>Generic (skb) XDP, XDP_FLAGS_SKB_MODE: works on every interface, copy mode only.</summary>
    Generic,
}
