using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Runtime.Wire;

/// <summary>
/// A view over the IPv6 fixed header (RFC 8200 section 3):
/// <code>
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version| Traffic Class |           Flow Label                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Payload Length        |  Next Header  |   Hop Limit   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                                                               |
/// +                         Source Address                        +  (16 octets)
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                                                               |
/// +                      Destination Address                      +  (16 octets)
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// <see cref="TryCreate"/> validates version 6 and 40 + payload length &lt;= buffer once; afterwards no accessor
/// fails. Addresses are UInt128 in network byte order as read from memory (as <see cref="System.Net.IPNetwork"/> does).
/// </summary>
public readonly ref struct Ipv6Header
{
    private static class Field
    {
        public const int VersionClassFlow = 0;
        public const int PayloadLength = 4;
        public const int NextHeader = 6;
        public const int HopLimit = 7;
        public const int Source = 8;
        public const int Destination = 24;
    }

    public const int HeaderLength = Field.Destination + 16;

    /// <summary>Why <see cref="TryCreate"/> refused a buffer.</summary>
    public enum Error : byte
    {
        None,
        /// <summary>Fewer than 40 bytes.</summary>
        Truncated,
        /// <summary>Version not 6, or the payload length runs past the buffer.</summary>
        BadHeader,
    }

    private readonly Span<byte> _buffer;

    private Ipv6Header(Span<byte> buffer) => _buffer = buffer;

    public static bool TryCreate(Span<byte> buffer, out Ipv6Header header) => TryCreate(buffer, out header, out _);

    public static bool TryCreate(Span<byte> buffer, out Ipv6Header header, out Error error)
    {
        header = default;
        if (buffer.Length < HeaderLength)
        {
            error = Error.Truncated;
            return false;
        }
        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(buffer.Slice(Field.PayloadLength));
        if ((buffer[Field.VersionClassFlow] >> 4) != 6 || HeaderLength + payloadLength > buffer.Length)
        {
            error = Error.BadHeader;
            return false;
        }
        header = new Ipv6Header(buffer);
        error = Error.None;
        return true;
    }

    private ref byte At(int offset) => ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), offset);

    public int Version => At(Field.VersionClassFlow) >> 4;
    public byte TrafficClass => (byte)(BinaryPrimitives.ReadUInt16BigEndian(_buffer) >> 4);
    public uint FlowLabel => BinaryPrimitives.ReadUInt32BigEndian(_buffer) & 0x000F_FFFF;
    public ushort PayloadLength => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref At(Field.PayloadLength)));
    /// <summary>Fixed header plus payload: the bytes of the IPv6 packet.</summary>
    public int TotalLength => HeaderLength + PayloadLength;
    public byte NextHeader => At(Field.NextHeader);

    public byte HopLimit
    {
        get => At(Field.HopLimit);
        set => At(Field.HopLimit) = value;
    }

    /// <summary>Source address, network byte order as read from memory.</summary>
    public UInt128 SourceAddress
    {
        get => Unsafe.ReadUnaligned<UInt128>(ref At(Field.Source));
        set => Unsafe.WriteUnaligned(ref At(Field.Source), value);
    }

    /// <summary>Destination address, network byte order as read from memory.</summary>
    public UInt128 DestinationAddress
    {
        get => Unsafe.ReadUnaligned<UInt128>(ref At(Field.Destination));
        set => Unsafe.WriteUnaligned(ref At(Field.Destination), value);
    }

    public Span<byte> SourceBytes => _buffer.Slice(Field.Source, 16);
    public Span<byte> DestinationBytes => _buffer.Slice(Field.Destination, 16);
    /// <summary>The payload up to the payload length (Ethernet padding excluded).</summary>
    public Span<byte> Payload => _buffer.Slice(HeaderLength, PayloadLength);

    /// <summary>The whole IPv6 packet: fixed header and payload (Ethernet padding excluded).</summary>
    public Span<byte> PacketBytes => _buffer.Slice(0, TotalLength);

    /// <summary>Walks the extension headers (see <see cref="Ipv6ExtensionWalker"/>).</summary>
    public Ipv6Chain WalkExtensions() => Ipv6ExtensionWalker.Walk(PacketBytes);

    /// <summary>
    /// Finds the upper-layer header after the extension headers: its <paramref name="protocol"/> and its
    /// <paramref name="offset"/> from the start of this header. False for a non-first fragment, No Next Header,
    /// a truncated or malformed chain, or more than <see cref="Ipv6ExtensionWalker.MaxHeaders"/> headers.
    /// </summary>
    public bool TryFindTransport(out byte protocol, out int offset)
    {
        var chain = Ipv6ExtensionWalker.Walk(PacketBytes);
        protocol = chain.Protocol;
        offset = chain.Offset;
        return chain.Status == Ipv6ChainStatus.Transport;
    }
}
