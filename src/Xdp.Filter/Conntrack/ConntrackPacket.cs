using System.Buffers.Binary;
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
        parsed = default;
        if (!Ipv4Header.TryCreate(packet, out var ip)) return false;
        var protocol = ip.Protocol;
        var length = ip.TotalLength;
        // RFC 791 section 3.2: only the first fragment carries the transport header.
        if (ip.FragmentOffset != 0)
        {
            parsed = new(FlowTuple.Ipv4(ip.SourceAddress, ip.DestinationAddress, protocol, 0, 0), ConntrackPacketKind.Other, length);
            return true;
        }
        var l4 = ip.Payload;
        switch (protocol)
        {
            case IpProtocol.Tcp:
            {
                if (!TcpHeader.TryCreate(l4, out var tcp)) return false;
                parsed = new(FlowTuple.Ipv4(ip.SourceAddress, ip.DestinationAddress, protocol, tcp.SourcePort, tcp.DestinationPort),
                    ConntrackPacketKind.Tcp, length, tcp.Flags);
                return true;
            }
            case IpProtocol.Udp:
            {
                if (!UdpHeader.TryCreate(l4, out var udp)) return false;
                parsed = new(FlowTuple.Ipv4(ip.SourceAddress, ip.DestinationAddress, protocol, udp.SourcePort, udp.DestinationPort),
                    ConntrackPacketKind.Udp, length);
                return true;
            }
            case IpProtocol.Icmp:
            {
                if (!Icmpv4Header.TryCreate(l4, out var icmp)) return false;
                var type = icmp.Type;
                var code = icmp.Code;
                switch (type)
                {
                    case Icmpv4Header.TypeEchoRequest:
                    case Icmpv4Header.TypeEchoReply:
                        var id = icmp.Identifier;
                        parsed = new(FlowTuple.Ipv4(ip.SourceAddress, ip.DestinationAddress, protocol, id, id),
                            type == Icmpv4Header.TypeEchoRequest ? ConntrackPacketKind.EchoRequest : ConntrackPacketKind.EchoReply,
                            length, icmpType: type, icmpCode: code);
                        return true;
                    case Icmpv4Header.TypeDestinationUnreachable:
                    case Icmpv4Header.TypeTimeExceeded:
                    case Icmpv4Header.TypeParameterProblem:
                        var tuple = FlowTuple.Ipv4(ip.SourceAddress, ip.DestinationAddress, protocol, 0, 0);
                        parsed = TryReadQuotedIpv4(icmp.Payload, out var quoted)
                            ? new(tuple, ConntrackPacketKind.IcmpError, length, icmpType: type, icmpCode: code, quoted: quoted)
                            : new(tuple, ConntrackPacketKind.IcmpErrorUnreadableQuote, length, icmpType: type, icmpCode: code);
                        return true;
                    default:
                        parsed = new(FlowTuple.Ipv4(ip.SourceAddress, ip.DestinationAddress, protocol, 0, 0), ConntrackPacketKind.Other,
                            length, icmpType: type, icmpCode: code);
                        return true;
                }
            }
            default:
                parsed = new(FlowTuple.Ipv4(ip.SourceAddress, ip.DestinationAddress, protocol, 0, 0), ConntrackPacketKind.Other, length);
                return true;
        }
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
        var source = ip.SourceAddress;
        var destination = ip.DestinationAddress;
        var length = ip.TotalLength;
        var bytes = ip.PacketBytes;
        var chain = Ipv6ExtensionWalker.Walk(bytes);
        switch (chain.Status)
        {
            case Ipv6ChainStatus.Transport:
                break;
            case Ipv6ChainStatus.NonFirstFragment:
            case Ipv6ChainStatus.NoNextHeader:
                parsed = new(FlowTuple.Ipv6(source, destination, chain.Protocol, 0, 0), ConntrackPacketKind.Other, length);
                return true;
            default:
                return false;
        }
        var protocol = chain.Protocol;
        var l4 = bytes.Slice(chain.Offset);
        switch (protocol)
        {
            case IpProtocol.Tcp:
            {
                if (!TcpHeader.TryCreate(l4, out var tcp)) return false;
                parsed = new(FlowTuple.Ipv6(source, destination, protocol, tcp.SourcePort, tcp.DestinationPort),
                    ConntrackPacketKind.Tcp, length, tcp.Flags);
                return true;
            }
            case IpProtocol.Udp:
            {
                if (!UdpHeader.TryCreate(l4, out var udp)) return false;
                parsed = new(FlowTuple.Ipv6(source, destination, protocol, udp.SourcePort, udp.DestinationPort),
                    ConntrackPacketKind.Udp, length);
                return true;
            }
            case IpProtocol.Icmpv6:
            {
                if (!Icmpv6Header.TryCreate(l4, out var icmp)) return false;
                var type = icmp.Type;
                var code = icmp.Code;
                switch (type)
                {
                    case Icmpv6Header.TypeEchoRequest:
                    case Icmpv6Header.TypeEchoReply:
                        var id = icmp.Identifier;
                        parsed = new(FlowTuple.Ipv6(source, destination, protocol, id, id),
                            type == Icmpv6Header.TypeEchoRequest ? ConntrackPacketKind.EchoRequest : ConntrackPacketKind.EchoReply,
                            length, icmpType: type, icmpCode: code);
                        return true;
                    case Icmpv6Header.TypeDestinationUnreachable:
                    case Icmpv6Header.TypePacketTooBig:
                    case Icmpv6Header.TypeTimeExceeded:
                    case Icmpv6Header.TypeParameterProblem:
                        var tuple = FlowTuple.Ipv6(source, destination, protocol, 0, 0);
                        parsed = TryReadQuotedIpv6(icmp.Body, out var quoted)
                            ? new(tuple, ConntrackPacketKind.IcmpError, length, icmpType: type, icmpCode: code, quoted: quoted)
                            : new(tuple, ConntrackPacketKind.IcmpErrorUnreadableQuote, length, icmpType: type, icmpCode: code);
                        return true;
                    default:
                        parsed = new(FlowTuple.Ipv6(source, destination, protocol, 0, 0), ConntrackPacketKind.Other, length,
                            icmpType: type, icmpCode: code);
                        return true;
                }
            }
            default:
                parsed = new(FlowTuple.Ipv6(source, destination, protocol, 0, 0), ConntrackPacketKind.Other, length);
                return true;
        }
    }

    /// <summary>
    /// The tuple of the IPv4 packet an ICMP error quotes (RFC 792: its IP header and 64 bits of its data). The quote
    /// is usually cut short, so its Total Length is not checked against the bytes present.
    /// </summary>
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
