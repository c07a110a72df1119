using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xdp.Runtime.Wire;

namespace Xdp.Filter.Conntrack;

/// <summary>
/// The parsed value of one IP packet that connection tracking needs: the 5-tuple, the TCP flags, the ICMP type,
/// the length for byte counters and, for ICMP errors, the tuple of the quoted packet as it was sent. Built by
/// <see cref="TryParseIpv4"/>/<see cref="TryParseIpv6"/> or, when the caller has parsed the headers already, by the
/// constructor. The policy stage can use <see cref="Tuple"/> for its own lookup.
/// </summary>
public readonly struct ConntrackPacket
{
    /// <summary>RFC 792 / RFC 1812 section 4.3.2.3: an error quotes the IP header and at least the first 8 octets of its data.</summary>
    private const int QuotedTransportBytes = 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ConntrackPacket(in FlowTuple tuple, ConntrackPacketKind kind, int length, TcpHeader.Flag tcpFlags = TcpHeader.Flag.None,
        byte icmpType = 0, byte icmpCode = 0, in FlowTuple quoted = default)
    {
        Tuple = tuple;
        Kind = kind;
        Length = length;
        TcpFlags = tcpFlags;
        IcmpType = icmpType;
        IcmpCode = icmpCode;
        Quoted = quoted;
    }

    public FlowTuple Tuple { get; }
    public ConntrackPacketKind Kind { get; }
    /// <summary>IP total length (header included), for the byte counters.</summary>
    public int Length { get; }
    public TcpHeader.Flag TcpFlags { get; }
    public byte IcmpType { get; }
    public byte IcmpCode { get; }
    /// <summary>For <see cref="ConntrackPacketKind.IcmpError"/>: the quoted packet's tuple, source = the quoted packet's source.</summary>
    public FlowTuple Quoted { get; }

    /// <summary>
    /// Parses an IPv4 packet (from the IP header on). False when a header conntrack needs is malformed or truncated
    /// (drop it as malformed); a non-first fragment or another protocol parses as <see cref="ConntrackPacketKind.Other"/>.
    /// Allocation-free.
    /// </summary>
    public static bool TryParseIpv4(Span<byte> packet, out ConntrackPacket parsed)
    {
        // One place builds the value: keeps the method small enough for the JIT to inline the header views.
        parsed = default;
        if (!Ipv4Header.TryCreate(packet, out var ip)) return false;
        var protocol = ip.Protocol;
        var kind = ConntrackPacketKind.Other;
        ushort sourcePort = 0, destinationPort = 0;
        var flags = TcpHeader.Flag.None;
        byte icmpType = 0, icmpCode = 0;
        FlowTuple quoted = default;
        // RFC 791 section 3.2: only the first fragment carries the transport header.
        if (ip.FragmentOffset == 0)
        {
            var l4 = ip.Payload;
            if (!TryReadTransport(l4, protocol, IpProtocol.Icmp, ref kind, ref sourcePort, ref destinationPort, ref flags, ref icmpType, ref icmpCode)) return false;
            if (kind == ConntrackPacketKind.IcmpError && !TryReadQuotedIpv4(l4.Slice(Icmpv4Header.HeaderLength), out quoted))
            {
                kind = ConntrackPacketKind.IcmpErrorUnreadableQuote;
            }
        }
        parsed = new(FlowTuple.Ipv4(ip.SourceAddress, ip.DestinationAddress, protocol, sourcePort, destinationPort), kind, ip.TotalLength,
            flags, icmpType, icmpCode, quoted);
        return true;
    }

    /// <summary>
    /// Parses an IPv6 packet (from the fixed header on), walking extension headers. False when a header is malformed
    /// or truncated; a non-first fragment, No Next Header or another protocol parses as <see cref="ConntrackPacketKind.Other"/>.
    /// Allocation-free.
    /// </summary>
    public static bool TryParseIpv6(Span<byte> packet, out ConntrackPacket parsed)
    {
        parsed = default;
        if (!Ipv6Header.TryCreate(packet, out var ip)) return false;
        var bytes = ip.PacketBytes;
        var chain = Ipv6ExtensionWalker.Walk(bytes);
        var protocol = chain.Protocol;
        var kind = ConntrackPacketKind.Other;
        ushort sourcePort = 0, destinationPort = 0;
        var flags = TcpHeader.Flag.None;
        byte icmpType = 0, icmpCode = 0;
        FlowTuple quoted = default;
        switch (chain.Status)
        {
            case Ipv6ChainStatus.Transport:
                var l4 = bytes.Slice(chain.Offset);
                if (!TryReadTransport(l4, protocol, IpProtocol.Icmpv6, ref kind, ref sourcePort, ref destinationPort, ref flags, ref icmpType, ref icmpCode)) return false;
                if (kind == ConntrackPacketKind.IcmpError && !TryReadQuotedIpv6(l4.Slice(Icmpv6Header.HeaderLength), out quoted))
                {
                    kind = ConntrackPacketKind.IcmpErrorUnreadableQuote;
                }
                break;
            case Ipv6ChainStatus.NonFirstFragment:
            case Ipv6ChainStatus.NoNextHeader:
                break;
            default:
                return false;
        }
        parsed = new(FlowTuple.Ipv6(ip.SourceAddress, ip.DestinationAddress, protocol, sourcePort, destinationPort), kind, ip.TotalLength,
            flags, icmpType, icmpCode, quoted);
        return true;
    }

    /// <summary>
    /// Ports and flags of a TCP/UDP header, identifier of an echo, type of an ICMP message (<paramref name="icmp"/>
    /// is the family's ICMP protocol number). False when the header is truncated or malformed.
    /// </summary>
    private static bool TryReadTransport(Span<byte> l4, byte protocol, byte icmp, ref ConntrackPacketKind kind, ref ushort sourcePort,
        ref ushort destinationPort, ref TcpHeader.Flag flags, ref byte icmpType, ref byte icmpCode)
    {
        switch (protocol)
        {
            case IpProtocol.Tcp:
                if (!TcpHeader.TryCreate(l4, out var tcp)) return false;
                kind = ConntrackPacketKind.Tcp;
                sourcePort = tcp.SourcePort;
                destinationPort = tcp.DestinationPort;
                flags = tcp.Flags;
                return true;
            case IpProtocol.Udp:
                if (!UdpHeader.TryCreate(l4, out var udp)) return false;
                kind = ConntrackPacketKind.Udp;
                sourcePort = udp.SourcePort;
                destinationPort = udp.DestinationPort;
                return true;
        }
        if (protocol != icmp) return true;
        // ICMP and ICMPv6 share the layout of type, code, checksum, identifier (RFC 792, RFC 4443 section 4.1).
        if (!Icmpv4Header.TryCreate(l4, out var message)) return false;
        icmpType = message.Type;
        icmpCode = message.Code;
        kind = IcmpKind(icmpType, icmp == IpProtocol.Icmpv6);
        if (kind is ConntrackPacketKind.EchoRequest or ConntrackPacketKind.EchoReply) sourcePort = destinationPort = message.Identifier;
        return true;
    }

    private static ConntrackPacketKind IcmpKind(byte type, bool isV6) => isV6
        ? type switch
        {
            Icmpv6Header.TypeEchoRequest => ConntrackPacketKind.EchoRequest,
            Icmpv6Header.TypeEchoReply => ConntrackPacketKind.EchoReply,
            Icmpv6Header.TypeDestinationUnreachable or Icmpv6Header.TypePacketTooBig or Icmpv6Header.TypeTimeExceeded
                or Icmpv6Header.TypeParameterProblem => ConntrackPacketKind.IcmpError,
            _ => ConntrackPacketKind.Other,
        }
        : type switch
        {
            Icmpv4Header.TypeEchoRequest => ConntrackPacketKind.EchoRequest,
            Icmpv4Header.TypeEchoReply => ConntrackPacketKind.EchoReply,
            Icmpv4Header.TypeDestinationUnreachable or Icmpv4Header.TypeTimeExceeded or Icmpv4Header.TypeParameterProblem
                => ConntrackPacketKind.IcmpError,
            _ => ConntrackPacketKind.Other,
        };

    /// <summary>
    /// The tuple of the IPv4 packet an ICMP error quotes (RFC 792: its IP header and 64 bits of its data). The quote
    /// is usually cut short, so its Total Length is not checked against the bytes present.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static bool TryReadQuotedIpv4(ReadOnlySpan<byte> quote, out FlowTuple tuple)
    {
        tuple = default;
        if (quote.Length < Ipv4Header.MinHeaderLength || (quote[0] >> 4) != 4) return false;
        var headerLength = (quote[0] & 0x0F) * 4;
        if (headerLength < Ipv4Header.MinHeaderLength || quote.Length < headerLength + QuotedTransportBytes) return false;
        if ((BinaryPrimitives.ReadUInt16BigEndian(quote.Slice(6)) & 0x1FFF) != 0) return false;
        var protocol = quote[9];
        var source = MemoryMarshal.Read<uint>(quote.Slice(12));
        var destination = MemoryMarshal.Read<uint>(quote.Slice(16));
        if (!TryReadQuotedPorts(quote.Slice(headerLength), protocol, Icmpv4Header.TypeEchoRequest, Icmpv4Header.TypeEchoReply,
            out var sourcePort, out var destinationPort)) return false;
        tuple = FlowTuple.Ipv4(source, destination, protocol, sourcePort, destinationPort);
        return true;
    }

    /// <summary>
    /// The tuple of the IPv6 packet an ICMPv6 error quotes (RFC 4443 section 2.4 (c): as much of it as fits),
    /// extension headers walked within the quote.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static bool TryReadQuotedIpv6(ReadOnlySpan<byte> quote, out FlowTuple tuple)
    {
        tuple = default;
        if (quote.Length < Ipv6Header.HeaderLength || (quote[0] >> 4) != 6) return false;
        var chain = Ipv6ExtensionWalker.Walk(quote);
        if (chain.Status != Ipv6ChainStatus.Transport || quote.Length < chain.Offset + QuotedTransportBytes) return false;
        var protocol = chain.Protocol;
        if (!TryReadQuotedPorts(quote.Slice(chain.Offset), protocol, Icmpv6Header.TypeEchoRequest, Icmpv6Header.TypeEchoReply,
            out var sourcePort, out var destinationPort)) return false;
        var source = MemoryMarshal.Read<UInt128>(quote.Slice(8));
        var destination = MemoryMarshal.Read<UInt128>(quote.Slice(24));
        tuple = FlowTuple.Ipv6(source, destination, protocol, sourcePort, destinationPort);
        return true;
    }

    /// <summary>Ports of a quoted TCP/UDP header, or the identifier of a quoted echo (both ports, as <see cref="FlowTuple"/> stores it).</summary>
    private static bool TryReadQuotedPorts(ReadOnlySpan<byte> l4, byte protocol, byte echoRequest, byte echoReply,
        out ushort sourcePort, out ushort destinationPort)
    {
        switch (protocol)
        {
            case IpProtocol.Tcp:
            case IpProtocol.Udp:
                sourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                destinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(2));
                return true;
            case IpProtocol.Icmp when echoRequest == Icmpv4Header.TypeEchoRequest:
            case IpProtocol.Icmpv6 when echoRequest == Icmpv6Header.TypeEchoRequest:
                if (l4[0] == echoRequest || l4[0] == echoReply)
                {
                    sourcePort = destinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(4));
                    return true;
                }
                break;
        }
        sourcePort = destinationPort = 0;
        return false;
    }
}
