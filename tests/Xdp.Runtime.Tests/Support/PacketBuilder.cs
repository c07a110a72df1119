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

    private enum L4Kind { None, Udp, IcmpEcho }

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
        var ipLength = _ipSource is null ? 0 : (isV6 ? Ipv6Header.HeaderLength : Ipv4Header.MinHeaderLength) + l4.Length;
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
            _ => throw new InvalidOperationException("Payload() needs an explicit protocol"),
        };
        if (isV6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(ip, 0x6000_0000);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)l4.Length);
            ip[6] = protocol;
            ip[7] = _ttl;
            _ipSource.TryWriteBytes(ip.Slice(8), out _);
            _ipDestination!.TryWriteBytes(ip.Slice(24), out _);
            l4.CopyTo(ip.Slice(Ipv6Header.HeaderLength));
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
        FillL4Checksum(ip, isV6, protocol);
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
            default:
                return _payload;
        }
    }

    private void FillL4Checksum(Span<byte> ip, bool isV6, byte protocol)
    {
        if (_l4 == L4Kind.None) return;
        var headerLength = isV6 ? Ipv6Header.HeaderLength : Ipv4Header.MinHeaderLength;
        var l4 = ip.Slice(headerLength);
        var checksumOffset = _l4 == L4Kind.Udp ? 6 : 2;
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
