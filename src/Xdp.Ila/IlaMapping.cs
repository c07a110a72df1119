using System.Runtime.InteropServices;

namespace Xdp.Ila;

/// <summary>What an identifier maps to: the locator of the host it lives on, how to keep checksums, and an optional
/// next hop (an index into the host's next-hop table, -1 for "route on the ILA address").</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct IlaMapping
{
    public IlaMapping(ulong locator, IlaChecksumMode mode, int nextHop = -1)
    {
        Locator = locator;
        NextHop = nextHop;
        Mode = mode;
    }

    /// <summary>Upper 64 bits of the ILA address, host order.</summary>
    public ulong Locator { get; }
    /// <summary>Next-hop index, or -1 when none is configured.</summary>
    public int NextHop { get; }
    public IlaChecksumMode Mode { get; }
}
