using System.Buffers.Binary;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Offload;

/// <summary>
/// Completes TCP/UDP checksums that a local sender left to offload. A container on a veth hands its kernel's
/// CHECKSUM_PARTIAL packets over as they are: the checksum field holds only the folded pseudo-header sum
/// (Linux's <c>~csum_tcpudp_magic(..., 0)</c> / <c>~csum_ipv6_magic(..., 0)</c>) and the device was meant to finish
/// it. An AF_XDP copy loses that metadata, and whoever receives the frame from our TX ring verifies the checksum in
/// full. So a field that equals the pseudo-header sum exactly is finished here, in software; a complete checksum
/// (or a corrupt one) is left alone. With this, nobody has to turn offloads off on container interfaces.
/// A genuine checksum that happens to equal that pattern is recomputed to the same value, which is harmless.
/// </summary>
public struct PartialChecksumStage : IPacketStage
{
    /// <summary>Packets whose checksum was completed here (read by the stats; written only by the worker).</summary>
    public long Completed;

    public Verdict Process(ref PacketContext packet)
    {
        // Anything malformed is left for the stages that drop it under a named reason.
        if (!EthernetFrame.TryCreate(packet.Bytes, out var frame)) return Verdict.Continue;
        if (frame.EtherType == EtherType.Ipv4)
        {
            if (Ipv4Header.TryCreate(frame.Payload, out var ip) && !ip.MoreFragments && ip.FragmentOffset == 0)
            {
                var payload = ip.Payload;
                if (IsPartial(payload, ip.Protocol, out var offset)
                    && ReadField(payload, offset) == Checksum.Fold(Checksum.PseudoHeaderV4(ip.SourceAddress, ip.DestinationAddress, ip.Protocol, (ushort)payload.Length)))
                {
                    Complete(payload, offset, Checksum.PseudoHeaderV4(ip.SourceAddress, ip.DestinationAddress, ip.Protocol, (ushort)payload.Length), ip.Protocol);
                }
            }
        }
        else if (frame.EtherType == EtherType.Ipv6 && Ipv6Header.TryCreate(frame.Payload, out var ip6)
            && Checksum.TryLocateTransport(ip6, out var protocol, out var transport, out var offset)
            && protocol is IpProtocol.Tcp or IpProtocol.Udp)
        {
            var pseudo = Checksum.PseudoHeaderV6(ip6.SourceBytes, ip6.DestinationBytes, protocol, (uint)transport.Length);
            if (ReadField(transport, offset) == Checksum.Fold(pseudo)) Complete(transport, offset, pseudo, protocol);
        }
        return Verdict.Continue;
    }

    private static bool IsPartial(ReadOnlySpan<byte> transport, byte protocol, out int offset)
    {
        offset = protocol switch
        {
            IpProtocol.Tcp when transport.Length >= TcpHeader.MinHeaderLength => 16,
            IpProtocol.Udp when transport.Length >= UdpHeader.HeaderLength => 6,
            _ => -1,
        };
        return offset >= 0;
    }

    private static ushort ReadField(ReadOnlySpan<byte> transport, int offset) => BinaryPrimitives.ReadUInt16BigEndian(transport.Slice(offset));

    private void Complete(Span<byte> transport, int offset, uint pseudoHeaderSum, byte protocol)
    {
        var checksum = Checksum.ComputeTransport(transport, offset, pseudoHeaderSum, protocol == IpProtocol.Udp);
        BinaryPrimitives.WriteUInt16BigEndian(transport.Slice(offset), checksum);
        Completed++;
    }
}
