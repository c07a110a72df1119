using System.Runtime.CompilerServices;

namespace Xdp.Filter.Classifier;

/// <summary>
/// Rules and keys as points and boxes in a space of unsigned 64-bit dimensions. An IPv6 prefix is the product of a
/// range over the upper 64 address bits and a range over the lower 64 (for length &lt;= 64 the lower range is
/// everything, above 64 the upper range is one value), so every rule of either family is one box.
/// </summary>
internal static class RuleSpace
{
    public const int SourceHigh = 0;
    public const int DestinationHigh = 1;
    public const int SourcePort = 2;
    public const int DestinationPort = 3;
    public const int Protocol = 4;
    public const int SourceLow = 5;
    public const int DestinationLow = 6;

    /// <summary>Dimensions of an IPv4 rule (the two low halves are unused), and of an IPv6 rule.</summary>
    public const int IPv4Dimensions = 5;
    public const int IPv6Dimensions = 7;
    public const int Stride = 7;

    /// <summary>Writes the box of <paramref name="rule"/> at <paramref name="offset"/> of the lo/hi arrays.</summary>
    public static void WriteBox(in FiveTupleRule rule, ulong[] lo, ulong[] hi, int offset)
    {
        UInt128 sFirst = rule.Source.First, sLast = rule.Source.Last, dFirst = rule.Destination.First, dLast = rule.Destination.Last;
        if (rule.IsIPv6)
        {
            Set(SourceHigh, (ulong)(sFirst >> 64), (ulong)(sLast >> 64));
            Set(DestinationHigh, (ulong)(dFirst >> 64), (ulong)(dLast >> 64));
            Set(SourceLow, (ulong)sFirst, (ulong)sLast);
            Set(DestinationLow, (ulong)dFirst, (ulong)dLast);
        }
        else
        {
            Set(SourceHigh, (ulong)sFirst, (ulong)sLast);
            Set(DestinationHigh, (ulong)dFirst, (ulong)dLast);
            Set(SourceLow, 0, 0);
            Set(DestinationLow, 0, 0);
        }
        Set(SourcePort, rule.SourcePorts.Low, rule.SourcePorts.High);
        Set(DestinationPort, rule.DestinationPorts.Low, rule.DestinationPorts.High);
        if (rule.Protocol is { } p) Set(Protocol, p, p);
        else Set(Protocol, 0, byte.MaxValue);

        void Set(int dimension, ulong low, ulong high)
        {
            lo[offset + dimension] = low;
            hi[offset + dimension] = high;
        }
    }

    /// <summary>The whole space of one family: the region the root of a tree covers.</summary>
    public static void WriteUniverse(bool isIPv6, ulong[] lo, ulong[] hi)
    {
        Array.Clear(lo);
        hi[SourceHigh] = hi[DestinationHigh] = isIPv6 ? ulong.MaxValue : uint.MaxValue;
        hi[SourcePort] = hi[DestinationPort] = ushort.MaxValue;
        hi[Protocol] = byte.MaxValue;
        hi[SourceLow] = hi[DestinationLow] = isIPv6 ? ulong.MaxValue : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteKey(in FiveTuple key, ref KeyVector vector)
    {
        if (key.IsIPv6)
        {
            vector[SourceHigh] = (ulong)(key.Source >> 64);
            vector[DestinationHigh] = (ulong)(key.Destination >> 64);
            vector[SourceLow] = (ulong)key.Source;
            vector[DestinationLow] = (ulong)key.Destination;
        }
        else
        {
            vector[SourceHigh] = (ulong)key.Source;
            vector[DestinationHigh] = (ulong)key.Destination;
        }
        vector[SourcePort] = key.SourcePort;
        vector[DestinationPort] = key.DestinationPort;
        vector[Protocol] = key.Protocol;
    }
}

/// <summary>A key as one value per <see cref="RuleSpace"/> dimension, on the stack.</summary>
[InlineArray(RuleSpace.Stride)]
internal struct KeyVector
{
    private ulong _element;
}
