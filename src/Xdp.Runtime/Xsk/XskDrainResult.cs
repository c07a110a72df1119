namespace Xdp.Runtime.Xsk;

/// <summary>
/// What <see cref="XskSocket.Drain"/> took back from a socket being removed, by ring, and how many frames stayed
/// inside the kernel (<see cref="KernelHeld"/>: lost to the pool; zero at rest in copy mode).
/// </summary>
public readonly record struct XskDrainResult(uint Completed, uint Received, uint Untransmitted, uint Unfilled, uint KernelHeld, int Duplicates)
{
    /// <summary>Frames returned to the caller.</summary>
    public int Returned => (int)(Completed + Received + Untransmitted + Unfilled) - Duplicates;
}
