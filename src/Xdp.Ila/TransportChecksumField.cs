using System.Buffers.Binary;

namespace Xdp.Ila;

/// <summary>
/// Finds the TCP/UDP/ICMPv6 checksum field whose pseudo-header covers the IPv6 destination address (RFC 8200
/// section 8.1), walking a bounded chain of extension headers. Internal to ILA until the shared wire layer's
/// extension walker is available.
/// </summary>
internal static class TransportChecksumField
{
    public const int None = -1;
    public const int Truncated = -2;
    private const int MaxExtensionHeaders = 8;

    private const byte HopByHop = 0, Tcp = 6, Udp = 17, Routing = 43, Fragment = 44, Icmpv6 = 58, DestinationOptions = 60;

    /// <summary>
    /// Offset of the checksum field from the start of <paramref name="packet"/> (an IPv6 packet of
    /// <paramref name="totalLength"/> bytes, header already validated); <see cref="None"/> when no transport checksum
    /// depends on the destination address; <see cref="Truncated"/> when a header runs past the packet.
    /// <paramref name="isUdp"/> is set for UDP (its zero checksum rule).
    /// </summary>
    public static int Find(ReadOnlySpan<byte> packet, int totalLength, out bool isUdp)
    {
        isUdp = false;
        var next = packet[6];
        var offset = 40;
        for (var i = 0; i <= MaxExtensionHeaders; i++)
        {
            switch (next)
            {
                case Tcp:
                    return offset + 20 <= totalLength ? offset + 16 : Truncated;
                case Udp:
                    isUdp = true;
                    return offset + 8 <= totalLength ? offset + 6 : Truncated;
                case Icmpv6:
                    return offset + 4 <= totalLength ? offset + 2 : Truncated;
                case HopByHop or DestinationOptions or Routing:
                    if (offset + 8 > totalLength) return Truncated;
                    // RFC 8200 section 8.1: with segments left, the pseudo-header holds the final destination from the
                    // routing header, not the rewritten address: nothing to fix.
                    if (next == Routing && packet[offset + 3] != 0) return None;
                    next = packet[offset];
                    offset += (packet[offset + 1] + 1) * 8;
                    break;
                case Fragment:
                    if (offset + 8 > totalLength) return Truncated;
                    // Only the first fragment carries the transport header (RFC 8200 section 4.5).
                    if ((BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]) & 0xFFF8) != 0) return None;
                    next = packet[offset];
                    offset += 8;
                    break;
                default:
                    return None;
            }
        }
        return None;
    }
}
