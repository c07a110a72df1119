using System.Buffers.Binary;

namespace Xdp.Runtime.Wire;

/// <summary>How an IPv6 extension-header walk ended.</summary>
public enum Ipv6ChainStatus : byte
{
    /// <summary>Reached an upper-layer header (<see cref="Ipv6Chain.Protocol"/> at <see cref="Ipv6Chain.Offset"/>).</summary>
    Transport,
    /// <summary>Next Header 59: nothing follows (RFC 8200 section 4.7).</summary>
    NoNextHeader,
    /// <summary>A fragment with a non-zero offset: it carries no transport header (RFC 8200 section 4.5).</summary>
    NonFirstFragment,
    /// <summary>An extension header runs past the packet.</summary>
    Truncated,
    /// <summary>Hop-by-Hop Options not first (RFC 8200 section 4.1).</summary>
    Malformed,
    /// <summary>More than <see cref="Ipv6ExtensionWalker.MaxHeaders"/> extension headers.</summary>
    TooManyHeaders,
}

/// <summary>The result of <see cref="Ipv6ExtensionWalker.Walk(ReadOnlySpan{byte})"/>.</summary>
public readonly struct Ipv6Chain
{
    public Ipv6Chain(Ipv6ChainStatus status, byte protocol, int offset, bool isFragment, bool hasPendingRouting, int extensionHeaders)
    {
        Status = status;
        Protocol = protocol;
        Offset = offset;
        IsFragment = isFragment;
        HasPendingRouting = hasPendingRouting;
        ExtensionHeaders = extensionHeaders;
    }

    public Ipv6ChainStatus Status { get; }
    /// <summary>The upper-layer protocol (or the Next Header value where the walk stopped).</summary>
    public byte Protocol { get; }
    /// <summary>Offset of that header from the start of the IPv6 fixed header.</summary>
    public int Offset { get; }
    /// <summary>A Fragment header was seen (offset 0: the first fragment, transport header present but partial).</summary>
    public bool IsFragment { get; }
    /// <summary>
    /// A Routing header with Segments Left &gt; 0 was seen: the destination address is not the final one, which
    /// the transport pseudo-header uses (RFC 8200 section 8.1).
    /// </summary>
    public bool HasPendingRouting { get; }
    /// <summary>Number of extension headers walked.</summary>
    public int ExtensionHeaders { get; }
}

/// <summary>
/// Walks the IPv6 extension-header chain (RFC 8200 section 4) to the upper-layer header, with a constant bound and
/// a length check at every step, like xdp-tools' parsing_helpers.h. Generic extension headers (RFC 8200
/// section 4.2 / RFC 6564):
/// <code>
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Next Header  |  Hdr Ext Len  |                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
/// |                  (Hdr Ext Len + 1) * 8 octets                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Fragment (section 4.5) is always 8 octets with the offset in the top 13 bits of octets 2-3; AH (RFC 4302
/// section 2.2) counts (Payload Len + 2) * 4 octets. Routing (section 4.4) has Segments Left in octet 3.
/// Any other Next Header (including ESP, whose contents are opaque) ends the walk as the upper layer.
/// </summary>
public static class Ipv6ExtensionWalker
{
    /// <summary>Constant bound on the loop; RFC 8200 section 4.1 orders at most about seven headers.</summary>
    public const int MaxHeaders = 8;

    /// <summary>Walks the chain of <paramref name="packet"/>, which starts at the IPv6 fixed header.</summary>
    public static Ipv6Chain Walk(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < Ipv6Header.HeaderLength) return new(Ipv6ChainStatus.Truncated, 0, 0, false, false, 0);
        return Walk(packet, packet[6], Ipv6Header.HeaderLength);
    }

    /// <summary>
    /// Walks from <paramref name="nextHeader"/> at <paramref name="offset"/> of <paramref name="packet"/> (an offset
    /// outside the packet ends as <see cref="Ipv6ChainStatus.Truncated"/>).
    /// </summary>
    public static Ipv6Chain Walk(ReadOnlySpan<byte> packet, byte nextHeader, int offset)
    {
        if ((uint)offset > (uint)packet.Length) return new(Ipv6ChainStatus.Truncated, nextHeader, 0, false, false, 0);
        var fragment = false;
        var pendingRouting = false;
        for (var count = 0; ; count++)
        {
            int length;
            switch (nextHeader)
            {
                case IpProtocol.HopByHop:
                case IpProtocol.Ipv6Routing:
                case IpProtocol.Ipv6DestinationOptions:
                case IpProtocol.Ipv6Fragment:
                case IpProtocol.Ah:
                    break;
                case IpProtocol.Ipv6NoNext:
                    return new(Ipv6ChainStatus.NoNextHeader, nextHeader, offset, fragment, pendingRouting, count);
                default:
                    return new(Ipv6ChainStatus.Transport, nextHeader, offset, fragment, pendingRouting, count);
            }
            if (count == MaxHeaders) return new(Ipv6ChainStatus.TooManyHeaders, nextHeader, offset, fragment, pendingRouting, count);
            if (nextHeader == IpProtocol.HopByHop && count != 0) return new(Ipv6ChainStatus.Malformed, nextHeader, offset, fragment, pendingRouting, count);
            // Every extension header is at least 8 octets; the first two (Next Header, length) are needed to size it.
            if ((uint)packet.Length < (uint)offset + 8) return new(Ipv6ChainStatus.Truncated, nextHeader, offset, fragment, pendingRouting, count);
            var header = packet.Slice(offset);
            switch (nextHeader)
            {
                case IpProtocol.Ipv6Fragment:
                    length = 8;
                    fragment = true;
                    if ((BinaryPrimitives.ReadUInt16BigEndian(header.Slice(2)) >> 3) != 0)
                    {
                        return new(Ipv6ChainStatus.NonFirstFragment, header[0], offset + length, fragment, pendingRouting, count + 1);
                    }
                    break;
                case IpProtocol.Ah:
                    length = (header[1] + 2) * 4;
                    break;
                case IpProtocol.Ipv6Routing:
                    pendingRouting |= header[3] != 0;
                    length = (header[1] + 1) * 8;
                    break;
                default:
                    length = (header[1] + 1) * 8;
                    break;
            }
            if (packet.Length - offset < length) return new(Ipv6ChainStatus.Truncated, nextHeader, offset, fragment, pendingRouting, count);
            nextHeader = header[0];
            offset += length;
        }
    }
}
