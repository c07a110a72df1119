namespace Xdp.Runtime.Xsk;

public enum XskBindMode
{
    /// <summary>Zero-copy where the driver supports it, else copy.</summary>
    Auto,
    Copy,
    ZeroCopy,
}

public sealed record XskSocketOptions
{
    public uint RxSize { get; init; } = 2048;
    public uint TxSize { get; init; } = 2048;
    public uint FillSize { get; init; } = 4096;
    public uint CompletionSize { get; init; } = 2048;
    public XskBindMode BindMode { get; init; } = XskBindMode.Auto;
    public bool BusyPoll { get; init; }
    public int BusyPollTimeoutUs { get; init; } = 20;
    public int BusyPollBudget { get; init; } = 64;
    public bool PreferBusyPoll { get; init; } = true;
    /// <summary>XDP_MAX_TX_SKB_BUDGET (Linux 6.17+); null leaves the kernel default (32 per sendto).</summary>
    public int? TxSkbBudget { get; init; }
    /// <summary>How long to keep retrying a bind that fails with EBUSY (a queue released moments ago stays busy ~200 ms).</summary>
    public TimeSpan BusyRetryTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
