using System.Runtime.CompilerServices;

namespace Xdp.Filter.Classifier;

/// <summary>
/// The header fields a packet is classified on. Addresses are numbers whose most significant byte is the
/// first byte on the wire (BinaryPrimitives.ReadUInt32BigEndian / ReadUInt128BigEndian of the header);
/// an IPv4 address sits in the low 32 bits. Ports are host order; 0 for protocols without ports.
/// </summary>
public readonly struct FiveTuple
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FiveTuple(UInt128 source, UInt128 destination, ushort sourcePort, ushort destinationPort, byte protocol, bool isIPv6)
    {
        Source = source;
        Destination = destination;
        SourcePort = sourcePort;
        DestinationPort = destinationPort;
        Protocol = protocol;
        IsIPv6 = isIPv6;
    }

    public UInt128 Source { get; }

    public UInt128 Destination { get; }

    public ushort SourcePort { get; }

    public ushort DestinationPort { get; }

    public byte Protocol { get; }

    public bool IsIPv6 { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FiveTuple IPv4(uint source, uint destination, byte protocol, ushort sourcePort, ushort destinationPort) =>
        new(source, destination, sourcePort, destinationPort, protocol, false);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FiveTuple IPv6(UInt128 source, UInt128 destination, byte protocol, ushort sourcePort, ushort destinationPort) =>
        new(source, destination, sourcePort, destinationPort, protocol, true);

    public override string ToString() =>
        $"{(IsIPv6 ? "v6" : "v4")} {Source:X}:{SourcePort} -> {Destination:X}:{DestinationPort} proto {Protocol}";
}
