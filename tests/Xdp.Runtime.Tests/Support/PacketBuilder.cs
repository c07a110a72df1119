using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Support;

/// <summary>
/// Builds test frames layer by layer, Cilium-style: <c>PacketBuilder.Ethernet(dst, src).Ipv4(src, dst).Udp(4000, 80, payload).Build()</c>.
/// Lengths and checksums (IPv4 header, UDP, ICMP, ICMPv6) are filled in by <see cref="Build"/>; the IPv4 defaults
/// (ID 0, DF, TOS 0) match scapy's so its bytes can serve as golden vectors.
/// </summary>
public sealed class PacketBuilder
{
    private MacAddress _dst;
    private MacAddress _src;
    private readonly List<ushort> _vlans = new();
    private IPAddress? _ipSource;
    private IPAddress? _ipDestination;
    private byte _ttl;
    private byte? _protocol;
    private L4Kind _l4;
    private ushort _sourcePort;
    private ushort _destinationPort;
    private ushort _echoId;
    private ushort _echoSequence;
    private byte[] _payload = Array.Empty<byte>();
    private int _minimumLength;
    private ushort? _rawEtherType;
    private uint _tcpSequence;
    private uint _tcpAcknowledgment;
    private TcpHeader.Flag _tcpFlags;
    private ushort _tcpWindow;
    private byte[] _tcpOptions = Array.Empty<byte>();
    private readonly List<(byte Type, byte[] Bytes)> _extensions = new();

    private enum L4Kind { None, Udp, IcmpEcho, Tcp, Icmpv6Raw }

    private PacketBuilder() { }

    public static PacketBuilder Ethernet(MacAddress destination, MacAddress source, params ushort[] vlans)
    {
        var builder = new PacketBuilder { _dst = destination, _src = source };
        builder._vlans.AddRange(vlans);
        return builder;
    }

    public static PacketBuilder Ethernet(string destination, string source, params ushort[] vlans) =>
        Ethernet(MacAddress.Parse(destination), MacAddress.Parse(source), vlans);

    /// <summary>A non-IP payload with an explicit EtherType (e.g. ARP).</summary>
    public PacketBuilder EtherTypePayload(ushort etherType, byte[] payload)
    {
        _rawEtherType = etherType;
        _payload = payload;
        return this;
    }

    public PacketBuilder Ipv4(string source, string destination, byte ttl = 64, byte? protocol = null) =>
        Ip(IPAddress.Parse(source), IPAddress.Parse(destination), ttl, protocol, AddressFamily.InterNetwork);

    public PacketBuilder Ipv6(string source, string destination, byte hopLimit = 64, byte? nextHeader = null) =>
        Ip(IPAddress.Parse(source), IPAddress.Parse(destination), hopLimit, nextHeader, AddressFamily.InterNetworkV6);

    private PacketBuilder Ip(IPAddress source, IPAddress destination, byte ttl, byte? protocol, AddressFamily family)
    {
        if (source.AddressFamily != family || destination.AddressFamily != family) throw new ArgumentException("address family mismatch");
        _ipSource = source;
        _ipDestination = destination;
        _ttl = ttl;
        _protocol = protocol;
        return this;
    }

    public PacketBuilder Udp(ushort sourcePort, ushort destinationPort, byte[]? payload = null)
    {
        _l4 = L4Kind.Udp;
        _sourcePort = sourcePort;
        _destinationPort = destinationPort;
        _payload = payload ?? Array.Empty<byte>();
        return this;
    }

    /// <summary>ICMP Echo Request (RFC 792) over IPv4, ICMPv6 Echo Request (RFC 4443 section 4.1) over IPv6.</summary>
    public PacketBuilder IcmpEcho(ushort identifier, ushort sequence, byte[]? payload = null)
    {
        _l4 = L4Kind.IcmpEcho;
        _echoId = identifier;
        _echoSequence = sequence;
        _payload = payload ?? Array.Empty<byte>();
        return this;
    }

    /// <summary>
    /// TCP segment (RFC 9293 section 3.1); <paramref name="options"/> must be a multiple of 4 bytes. The defaults for
    /// data offset, urgent pointer and reserved bits are zero as in scapy.
    /// </summary>
    public PacketBuilder Tcp(ushort sourcePort, ushort destinationPort, TcpHeader.Flag flags = TcpHeader.Flag.Syn, uint sequence = 0,
        uint acknowledgment = 0, ushort window = 8192, byte[]? options = null, byte[]? payload = null)
    {
        _l4 = L4Kind.Tcp;
        _sourcePort = sourcePort;
        _destinationPort = destinationPort;
        _tcpFlags = flags;
        _tcpSequence = sequence;
        _tcpAcknowledgment = acknowledgment;
        _tcpWindow = window;
        _tcpOptions = options ?? Array.Empty<byte>();
        if (_tcpOptions.Length % 4 != 0 || _tcpOptions.Length > 40) throw new ArgumentException("TCP options must be 0..40 bytes, a multiple of 4", nameof(options));
        _payload = payload ?? Array.Empty<byte>();
        return this;
    }

    /// <summary>ICMPv6 Echo Request (RFC 4443 section 4.1); needs <see cref="Ipv6"/>.</summary>
    public PacketBuilder Icmpv6Echo(ushort identifier, ushort sequence, byte[]? payload = null)
    {
        if (_ipSource?.AddressFamily != AddressFamily.InterNetworkV6) throw new InvalidOperationException("Icmpv6Echo needs Ipv6() first");
        return IcmpEcho(identifier, sequence, payload);
    }

    /// <summary>
    /// Neighbor Solicitation for <paramref name="target"/> (RFC 4861 section 4.3), with a Source Link-Layer Address
    /// option when <paramref name="sourceLinkLayerAddress"/> is given; needs <see cref="Ipv6"/> (hop limit 255).
    /// </summary>
    public PacketBuilder NeighborSolicitation(string target, string? sourceLinkLayerAddress = null)
    {
        var message = new byte[Xdp.Runtime.Wire.NeighborSolicitation.MinLength + (sourceLinkLayerAddress is null ? 0 : 8)];
        message[0] = Icmpv6Header.TypeNeighborSolicitation;
        IPAddress.Parse(target).TryWriteBytes(message.AsSpan(8), out _);
        if (sourceLinkLayerAddress is not null)
        {
            message[24] = NdpOptions.SourceLinkLayerAddress;
            message[25] = 1;
            MacAddress.Parse(sourceLinkLayerAddress).WriteTo(message.AsSpan(26));
        }
        _l4 = L4Kind.Icmpv6Raw;
        _payload = message;
        return this;
    }

    /// <summary>Neighbor Advertisement for <paramref name="target"/> (RFC 4861 section 4.4) with a Target Link-Layer Address option.</summary>
    public PacketBuilder NeighborAdvertisement(string target, string targetLinkLayerAddress, bool router = false, bool solicited = true, bool @override = true)
    {
        var message = new byte[Xdp.Runtime.Wire.NeighborAdvertisement.LengthWithLinkLayerAddress];
        Xdp.Runtime.Wire.NeighborAdvertisement.Write(message, NetworkOrder.AddressV6(IPAddress.Parse(target)), MacAddress.Parse(targetLinkLayerAddress), router, solicited, @override);
        _l4 = L4Kind.Icmpv6Raw;
        _payload = message;
        return this;
    }

    /// <summary>An ARP packet for IPv4 over Ethernet (RFC 826) as the frame's payload.</summary>
    public PacketBuilder Arp(ushort operation, string senderMac, string senderIp, string targetMac, string targetIp)
    {
        var packet = new byte[ArpPacket.Length];
        ArpPacket.Write(packet, operation, MacAddress.Parse(senderMac), NetworkOrder.AddressV4(IPAddress.Parse(senderIp)),
            MacAddress.Parse(targetMac), NetworkOrder.AddressV4(IPAddress.Parse(targetIp)));
        return EtherTypePayload(EtherType.Arp, packet);
    }

    /// <summary>Hop-by-Hop Options header (RFC 8200 section 4.3) padded with one PadN option to 8 bytes, as scapy's default.</summary>
    public PacketBuilder HopByHop() => Extension(IpProtocol.HopByHop, PaddedOptions());

    /// <summary>Destination Options header (RFC 8200 section 4.6) padded with one PadN option to 8 bytes.</summary>
    public PacketBuilder DestinationOptions() => Extension(IpProtocol.Ipv6DestinationOptions, PaddedOptions());

    /// <summary>Fragment header (RFC 8200 section 4.5); <paramref name="offset"/> in 8-octet units.</summary>
    public PacketBuilder Fragment(ushort offset, bool more, uint identification)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)((offset << 3) | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), identification);
        return Extension(IpProtocol.Ipv6Fragment, header);
    }

    /// <summary>Routing header (RFC 8200 section 4.4) of <paramref name="routingType"/> listing <paramref name="addresses"/>.</summary>
    public PacketBuilder Routing(byte routingType, byte segmentsLeft, params string[] addresses)
    {
        var header = new byte[8 + (16 * addresses.Length)];
        header[1] = (byte)(2 * addresses.Length);
        header[2] = routingType;
        header[3] = segmentsLeft;
        for (var i = 0; i < addresses.Length; i++) IPAddress.Parse(addresses[i]).TryWriteBytes(header.AsSpan(8 + (16 * i)), out _);
        return Extension(IpProtocol.Ipv6Routing, header);
    }

    /// <summary>
    /// Any IPv6 extension header, in order after the fixed header. <paramref name="bytes"/> is the whole header; its
    /// first byte (Next Header) is filled in by <see cref="Build"/>.
    /// </summary>
    public PacketBuilder Extension(byte type, byte[] bytes)
    {
        _extensions.Add((type, bytes));
        return this;
    }

    private static byte[] PaddedOptions() => new byte[] { 0, 0, 1, 4, 0, 0, 0, 0 };

    /// <summary>Raw L4 bytes after the IP header (protocol as given to Ipv4/Ipv6).</summary>
    public PacketBuilder Payload(byte[] payload)
    {
        _l4 = L4Kind.None;
        _payload = payload;
        return this;
    }

    /// <summary>Pads the frame with zeros to at least <paramref name="frameLength"/> bytes (Ethernet minimum is 60 without FCS).</summary>
    public PacketBuilder PadTo(int frameLength)
    {
        _minimumLength = frameLength;
        return this;
    }

    public byte[] Build()
    {
        var isV6 = _ipSource?.AddressFamily == AddressFamily.InterNetworkV6;
        var l4 = BuildL4(isV6);
        var extensionLength = 0;
        foreach (var extension in _extensions) extensionLength += extension.Bytes.Length;
        if (extensionLength > 0 && !isV6) throw new InvalidOperationException("extension headers need Ipv6()");
        var ipLength = _ipSource is null ? 0 : (isV6 ? Ipv6Header.HeaderLength + extensionLength : Ipv4Header.MinHeaderLength) + l4.Length;
        var l2Length = EthernetFrame.HeaderLength + (_vlans.Count * EthernetFrame.VlanTagLength);
        var frame = new byte[Math.Max(_minimumLength, l2Length + (_ipSource is null ? _payload.Length : ipLength))];
        _dst.WriteTo(frame);
        _src.WriteTo(frame.AsSpan(6));
        var offset = 12;
        foreach (var vlan in _vlans)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), EtherType.Vlan);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset + 2), vlan);
            offset += 4;
        }
        var etherType = _ipSource is null ? _rawEtherType ?? 0 : isV6 ? EtherType.Ipv6 : EtherType.Ipv4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), etherType);
        offset += 2;
        if (_ipSource is null)
        {
            _payload.CopyTo(frame.AsSpan(offset));
            return frame;
        }

        var ip = frame.AsSpan(offset, ipLength);
        var protocol = _protocol ?? _l4 switch
        {
            L4Kind.Udp => IpProtocol.Udp,
            L4Kind.IcmpEcho => isV6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp,
            L4Kind.Tcp => IpProtocol.Tcp,
            L4Kind.Icmpv6Raw => IpProtocol.Icmpv6,
            _ => throw new InvalidOperationException("Payload() needs an explicit protocol"),
        };
        if (isV6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(ip, 0x6000_0000);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)(extensionLength + l4.Length));
            ip[6] = _extensions.Count > 0 ? _extensions[0].Type : protocol;
            ip[7] = _ttl;
            _ipSource.TryWriteBytes(ip.Slice(8), out _);
            _ipDestination!.TryWriteBytes(ip.Slice(24), out _);
            var at = Ipv6Header.HeaderLength;
            for (var i = 0; i < _extensions.Count; i++)
            {
                var bytes = _extensions[i].Bytes;
                bytes.CopyTo(ip.Slice(at));
                ip[at] = i + 1 < _extensions.Count ? _extensions[i + 1].Type : protocol;
                at += bytes.Length;
            }
            l4.CopyTo(ip.Slice(at));
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)ipLength);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(6), 0x4000); // DF
            ip[8] = _ttl;
            ip[9] = protocol;
            _ipSource.TryWriteBytes(ip.Slice(12), out _);
            _ipDestination!.TryWriteBytes(ip.Slice(16), out _);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10), Checksum.Compute(ip.Slice(0, Ipv4Header.MinHeaderLength)));
            l4.CopyTo(ip.Slice(Ipv4Header.MinHeaderLength));
        }
        FillL4Checksum(ip, isV6, protocol, extensionLength);
        return frame;
    }

    private byte[] BuildL4(bool isV6)
    {
        switch (_l4)
        {
            case L4Kind.Udp:
            {
                var udp = new byte[8 + _payload.Length];
                BinaryPrimitives.WriteUInt16BigEndian(udp, _sourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), _destinationPort);
                BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
                _payload.CopyTo(udp.AsSpan(8));
                return udp;
            }
            case L4Kind.IcmpEcho:
            {
                var icmp = new byte[8 + _payload.Length];
                icmp[0] = isV6 ? (byte)128 : (byte)8;
                BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), _echoId);
                BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), _echoSequence);
                _payload.CopyTo(icmp.AsSpan(8));
                return icmp;
            }
            case L4Kind.Tcp:
            {
                var headerLength = TcpHeader.MinHeaderLength + _tcpOptions.Length;
                var tcp = new byte[headerLength + _payload.Length];
                BinaryPrimitives.WriteUInt16BigEndian(tcp, _sourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), _destinationPort);
                BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), _tcpSequence);
                BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), _tcpAcknowledgment);
                tcp[12] = (byte)((headerLength / 4) << 4);
                tcp[13] = (byte)_tcpFlags;
                BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), _tcpWindow);
                _tcpOptions.CopyTo(tcp.AsSpan(TcpHeader.MinHeaderLength));
                _payload.CopyTo(tcp.AsSpan(headerLength));
                return tcp;
            }
            default:
                return _payload;
        }
    }

    private void FillL4Checksum(Span<byte> ip, bool isV6, byte protocol, int extensionLength)
    {
        if (_l4 == L4Kind.None) return;
        var headerLength = isV6 ? Ipv6Header.HeaderLength + extensionLength : Ipv4Header.MinHeaderLength;
        var l4 = ip.Slice(headerLength);
        var checksumOffset = _l4 switch { L4Kind.Udp => UdpHeader.ChecksumOffset, L4Kind.Tcp => TcpHeader.ChecksumOffset, _ => Icmpv6Header.ChecksumOffset };
        uint sum;
        if (_l4 == L4Kind.IcmpEcho && !isV6)
        {
            sum = 0; // ICMPv4 has no pseudo-header (RFC 792)
        }
        else if (isV6)
        {
            sum = Checksum.PseudoHeaderV6(ip.Slice(8, 16), ip.Slice(24, 16), protocol, (uint)l4.Length);
        }
        else
        {
            sum = Checksum.PseudoHeaderV4(
                BitConverter.ToUInt32(ip.Slice(12, 4)), BitConverter.ToUInt32(ip.Slice(16, 4)), protocol, (ushort)l4.Length);
        }
        var checksum = Checksum.Finish(Checksum.Sum(l4, sum));
        // RFC 768: a computed UDP checksum of zero is sent as all ones (zero means "none").
        if (_l4 == L4Kind.Udp && checksum == 0) checksum = 0xFFFF;
        BinaryPrimitives.WriteUInt16BigEndian(l4.Slice(checksumOffset), checksum);
    }
}
