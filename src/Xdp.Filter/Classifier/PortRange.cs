namespace Xdp.Filter.Classifier;

/// <summary>An inclusive range of transport ports, as iptables' <c>--dport lo:hi</c>.</summary>
public readonly record struct PortRange
{
    public PortRange(ushort low, ushort high)
    {
        if (low > high) throw new ArgumentException($"port range {low}:{high} is empty (low > high)", nameof(low));
        Low = low;
        High = high;
    }

    /// <summary>0:65535.</summary>
    public static PortRange Any => new(0, ushort.MaxValue);

    public ushort Low { get; }

    public ushort High { get; }

    public static PortRange Single(ushort port) => new(port, port);

    public bool Contains(ushort port) => port >= Low && port <= High;

    public override string ToString() => Low == High ? Low.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Low}:{High}";
}
