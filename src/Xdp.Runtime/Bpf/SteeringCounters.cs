namespace Xdp.Runtime.Bpf;

/// <summary>
/// The steering program's counters (xdp_stats, summed over CPUs). Indexes are the STAT_* constants of
/// bpf/xdp-redirect.bpf.c.
/// </summary>
/// <param name="Redirected">Owned frames handed to the AF_XDP socket of their RX queue (STAT_REDIRECTED, 0).</param>
/// <param name="PassedNotOwned">Frames the data plane does not own, given to the kernel (STAT_PASS_NOT_OWNED, 1).</param>
/// <param name="PassedNoSocket">Owned frames whose RX queue has no socket registered, given to the kernel (STAT_PASS_NO_SOCKET, 2).</param>
/// <param name="PassedMalformed">Frames too short for the headers they claim, given to the kernel (STAT_PASS_MALFORMED, 3).</param>
public readonly record struct SteeringCounters(ulong Redirected, ulong PassedNotOwned, ulong PassedNoSocket, ulong PassedMalformed)
{
    /// <summary>Number of counters in xdp_stats.</summary>
    internal const int Count = 4;

    internal const uint Redirect = 0;
    internal const uint PassNotOwned = 1;
    internal const uint PassNoSocket = 2;
    internal const uint PassMalformed = 3;

    /// <summary>All frames the program saw.</summary>
    public ulong Total => Redirected + PassedNotOwned + PassedNoSocket + PassedMalformed;
}
