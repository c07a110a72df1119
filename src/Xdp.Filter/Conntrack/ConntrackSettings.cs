using System.Numerics;

namespace Xdp.Filter.Conntrack;

/// <summary>
/// Size and timeouts of the connection-tracking table. A timeout is how long a flow in that state lives without a
/// packet; every packet of the flow restarts it. Defaults follow Cilium's (TCP established 6 h, closing 10 s,
/// SYN 60 s) and Linux's for UDP (nf_conntrack_udp_timeout 30 s, _stream 120 s, here 60 s / 180 s as Cilium's
/// non-TCP lifetime allows) and ICMP (30 s).
/// </summary>
/// <param name="Capacity">Slots in the table: a power of two in [<see cref="MinCapacity"/>, <see cref="MaxCapacity"/>]. 96 bytes each.</param>
/// <param name="TcpSynMilliseconds">SYN_SENT and SYN_RECV: an unanswered or unfinished handshake.</param>
/// <param name="TcpEstablishedMilliseconds">ESTABLISHED.</param>
/// <param name="TcpHalfClosedMilliseconds">FIN_WAIT and CLOSE_WAIT: one side closed, the other may still send (Linux: 120 s / 60 s).</param>
/// <param name="TcpClosingMilliseconds">LAST_ACK, TIME_WAIT and CLOSE (after RST). No sequence tracking, so no 2*MSL wait is needed.</param>
/// <param name="UdpMilliseconds">UDP with datagrams from the originator only.</param>
/// <param name="UdpRepliedMilliseconds">UDP once the responder answered.</param>
/// <param name="IcmpMilliseconds">ICMP/ICMPv6 echo, requested or replied.</param>
public sealed record ConntrackSettings(
    int Capacity = 65_536,
    long TcpSynMilliseconds = 60_000,
    long TcpEstablishedMilliseconds = 21_600_000,
    long TcpHalfClosedMilliseconds = 120_000,
    long TcpClosingMilliseconds = 10_000,
    long UdpMilliseconds = 60_000,
    long UdpRepliedMilliseconds = 180_000,
    long IcmpMilliseconds = 30_000)
{
    public const int MinCapacity = 64;
    /// <summary>2^26 slots, 6 GiB: a bound that catches a typo rather than a real limit.</summary>
    public const int MaxCapacity = 1 << 26;
    /// <summary>30 days: longer is a typo (or seconds given as milliseconds the other way round).</summary>
    public const long MaxTimeoutMilliseconds = 30L * 24 * 3600 * 1000;

    public static ConntrackSettings Default { get; } = new();

    /// <summary>Every problem, each with the setting's name; empty when valid. The host's validator prefixes its section path.</summary>
    public IReadOnlyList<(string Setting, string Problem)> Validate()
    {
        var problems = new List<(string, string)>();
        if (Capacity < MinCapacity || Capacity > MaxCapacity || !BitOperations.IsPow2(Capacity))
        {
            problems.Add((nameof(Capacity), $"must be a power of two between {MinCapacity} and {MaxCapacity}, got {Capacity}"));
        }
        Timeout(nameof(TcpSynMilliseconds), TcpSynMilliseconds);
        Timeout(nameof(TcpEstablishedMilliseconds), TcpEstablishedMilliseconds);
        Timeout(nameof(TcpHalfClosedMilliseconds), TcpHalfClosedMilliseconds);
        Timeout(nameof(TcpClosingMilliseconds), TcpClosingMilliseconds);
        Timeout(nameof(UdpMilliseconds), UdpMilliseconds);
        Timeout(nameof(UdpRepliedMilliseconds), UdpRepliedMilliseconds);
        Timeout(nameof(IcmpMilliseconds), IcmpMilliseconds);
        return problems;

        void Timeout(string name, long value)
        {
            if (value <= 0 || value > MaxTimeoutMilliseconds)
            {
                problems.Add((name, $"must be between 1 and {MaxTimeoutMilliseconds} milliseconds, got {value}"));
            }
        }
    }

    /// <summary>Timeout per <see cref="FlowState"/>, indexed by its value.</summary>
    internal long[] TimeoutsByState()
    {
        var timeouts = new long[FlowStates.Count];
        timeouts[(int)FlowState.SynSent] = TcpSynMilliseconds;
        timeouts[(int)FlowState.SynReceived] = TcpSynMilliseconds;
        timeouts[(int)FlowState.Established] = TcpEstablishedMilliseconds;
        timeouts[(int)FlowState.FinWait] = TcpHalfClosedMilliseconds;
        timeouts[(int)FlowState.CloseWait] = TcpHalfClosedMilliseconds;
        timeouts[(int)FlowState.LastAck] = TcpClosingMilliseconds;
        timeouts[(int)FlowState.TimeWait] = TcpClosingMilliseconds;
        timeouts[(int)FlowState.Close] = TcpClosingMilliseconds;
        timeouts[(int)FlowState.UdpUnreplied] = UdpMilliseconds;
        timeouts[(int)FlowState.UdpReplied] = UdpRepliedMilliseconds;
        timeouts[(int)FlowState.IcmpUnreplied] = IcmpMilliseconds;
        timeouts[(int)FlowState.IcmpReplied] = IcmpMilliseconds;
        return timeouts;
    }
}
