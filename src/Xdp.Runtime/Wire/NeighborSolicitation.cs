using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Runtime.Wire;

/// <summary>
/// A view over a Neighbor Solicitation (RFC 4861 section 4.3), starting at the ICMPv6 type:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     Type      |     Code      |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           Reserved                            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// +                       Target Address (16)                     +
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Options (Source Link-Layer Address) ...
/// +-+-+-+-+-+-+-+-+-+-+-+-+-
/// </code>
/// <see cref="TryCreate"/> applies the checks of section 7.1.1 that need only the message (type 135, code 0,
/// length &gt;= 24, target not multicast, every option of non-zero length within the message) once; afterwards no
/// accessor fails. The IP-level checks (hop limit 255, checksum, no source link-layer option from the unspecified
/// address) are the caller's.
/// </summary>
public readonly ref struct NeighborSolicitation
{
    private static class Field
    {
        public const int Type = 0;
        public const int Code = 1;
        public const int Reserved = 4;
        public const int Target = 8;
    }

    /// <summary>Message length without options.</summary>
    public const int MinLength = Field.Target + 16;

    private readonly Span<byte> _buffer;
    private readonly int _sourceLinkLayerOffset;

    private NeighborSolicitation(Span<byte> buffer, int sourceLinkLayerOffset)
    {
        _buffer = buffer;
        _sourceLinkLayerOffset = sourceLinkLayerOffset;
    }

    /// <summary><paramref name="buffer"/> is the ICMPv6 message (the upper-layer payload of the IPv6 packet).</summary>
    public static bool TryCreate(Span<byte> buffer, out NeighborSolicitation solicitation)
    {
        solicitation = default;
        if (buffer.Length < MinLength
            || buffer[Field.Type] != Icmpv6Header.TypeNeighborSolicitation
            || buffer[Field.Code] != 0
            || buffer[Field.Target] == 0xFF
            || !NdpOptions.TryFind(buffer.Slice(MinLength), NdpOptions.SourceLinkLayerAddress, out var option))
        {
            return false;
        }
        solicitation = new NeighborSolicitation(buffer, option < 0 ? -1 : MinLength + option);
        return true;
    }

    private ref byte At(int offset) => ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), offset);

    /// <summary>Target address, network byte order as read from memory.</summary>
    public UInt128 TargetAddress => Unsafe.ReadUnaligned<UInt128>(ref At(Field.Target));
    public Span<byte> TargetBytes => _buffer.Slice(Field.Target, 16);

    public bool HasSourceLinkLayerAddress => _sourceLinkLayerOffset >= 0;

    /// <summary>The Source Link-Layer Address option's MAC (first six octets of its value); zero when absent.</summary>
    public MacAddress SourceLinkLayerAddress =>
        _sourceLinkLayerOffset < 0 ? MacAddress.Zero : MacAddress.Read(_buffer.Slice(_sourceLinkLayerOffset + 2));

    public Span<byte> Options => _buffer.Slice(MinLength);
    public Span<byte> Bytes => _buffer;
}
