using System.Net;
using System.Runtime.CompilerServices;

namespace Xdp.Filter.Conntrack;

/// <summary>
/// The 5-tuple of one packet as it travels: source/destination address and port, IP protocol. Addresses are the 16
/// bytes as read from memory (network order, <see cref="Xdp.Runtime.Wire.Ipv6Header.SourceAddress"/>); an IPv4
/// address is stored IPv4-mapped (RFC 4291 section 2.5.5.2) and <see cref="IsIpv6"/> keeps the families apart.
/// For ICMP / ICMPv6 echo both ports hold the echo identifier, so a reply's tuple is the request's reversed.
/// </summary>
public readonly struct FlowTuple : IEquatable<FlowTuple>
{
    /// <summary>The upper 64 bits (memory bytes 8..15) of an IPv4-mapped address: bytes 10 and 11 are 0xFF.</summary>
    private const ulong MappedMarker = 0xFFFF_0000UL;

    public FlowTuple(UInt128 source, UInt128 destination, ushort sourcePort, ushort destinationPort, byte protocol, bool isIpv6)
    {
        Source = source;
        Destination = destination;
        SourcePort = sourcePort;
        DestinationPort = destinationPort;
        Protocol = protocol;
        IsIpv6 = isIpv6;
    }

    /// <summary>An IPv4 tuple; addresses in network order as <see cref="Xdp.Runtime.Wire.Ipv4Header.SourceAddress"/> returns them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FlowTuple Ipv4(uint source, uint destination, byte protocol, ushort sourcePort, ushort destinationPort) =>
        new(MapV4(source), MapV4(destination), sourcePort, destinationPort, protocol, isIpv6: false);

    /// <summary>An IPv6 tuple; addresses as <see cref="Xdp.Runtime.Wire.Ipv6Header.SourceAddress"/> returns them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FlowTuple Ipv6(UInt128 source, UInt128 destination, byte protocol, ushort sourcePort, ushort destinationPort) =>
        new(source, destination, sourcePort, destinationPort, protocol, isIpv6: true);

    public UInt128 Source { get; }
    public UInt128 Destination { get; }
    public ushort SourcePort { get; }
    public ushort DestinationPort { get; }
    public byte Protocol { get; }
    public bool IsIpv6 { get; }

    /// <summary>The IPv4 source in network order (only meaningful when !<see cref="IsIpv6"/>).</summary>
    public uint SourceV4 => (uint)(Source >> 96);

    /// <summary>The IPv4 destination in network order (only meaningful when !<see cref="IsIpv6"/>).</summary>
    public uint DestinationV4 => (uint)(Destination >> 96);

    /// <summary>The same flow seen from the other end.</summary>
    public FlowTuple Reversed() => new(Destination, Source, DestinationPort, SourcePort, Protocol, IsIpv6);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static UInt128 MapV4(uint networkOrder) => new(((ulong)networkOrder << 32) | MappedMarker, 0);

    /// <summary>For listings and tests (allocates).</summary>
    public IPAddress SourceAddress => ToAddress(Source, IsIpv6);

    /// <summary>For listings and tests (allocates).</summary>
    public IPAddress DestinationAddress => ToAddress(Destination, IsIpv6);

    internal static IPAddress ToAddress(UInt128 value, bool isIpv6)
    {
        Span<byte> bytes = stackalloc byte[16];
        Unsafe.WriteUnaligned(ref bytes[0], value);
        return isIpv6 ? new IPAddress(bytes) : new IPAddress(bytes.Slice(12, 4));
    }

    /// <summary>Builds a tuple from <see cref="IPAddress"/>es: tests and tools, not the data path.</summary>
    public static FlowTuple Create(IPAddress source, IPAddress destination, byte protocol, ushort sourcePort, ushort destinationPort)
    {
        if (source.AddressFamily != destination.AddressFamily) throw new ArgumentException("address families differ", nameof(destination));
        Span<byte> s = stackalloc byte[16];
        Span<byte> d = stackalloc byte[16];
        if (source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            source.TryWriteBytes(s, out _);
            destination.TryWriteBytes(d, out _);
            return Ipv4(Unsafe.ReadUnaligned<uint>(ref s[0]), Unsafe.ReadUnaligned<uint>(ref d[0]), protocol, sourcePort, destinationPort);
        }
        source.TryWriteBytes(s, out _);
        destination.TryWriteBytes(d, out _);
        return Ipv6(Unsafe.ReadUnaligned<UInt128>(ref s[0]), Unsafe.ReadUnaligned<UInt128>(ref d[0]), protocol, sourcePort, destinationPort);
    }

    public bool Equals(FlowTuple other) =>
        Source == other.Source && Destination == other.Destination && SourcePort == other.SourcePort
        && DestinationPort == other.DestinationPort && Protocol == other.Protocol && IsIpv6 == other.IsIpv6;

    public override bool Equals(object? obj) => obj is FlowTuple other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Source, Destination, SourcePort, DestinationPort, Protocol, IsIpv6);

    public static bool operator ==(FlowTuple left, FlowTuple right) => left.Equals(right);

    public static bool operator !=(FlowTuple left, FlowTuple right) => !left.Equals(right);

    public override string ToString() => IsIpv6
        ? $"[{SourceAddress}]:{SourcePort} -> [{DestinationAddress}]:{DestinationPort} proto {Protocol}"
        : $"{SourceAddress}:{SourcePort} -> {DestinationAddress}:{DestinationPort} proto {Protocol}";
}
