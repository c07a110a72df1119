using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Runtime.Wire;

/// <summary>
/// A view over a Neighbor Advertisement (RFC 4861 section 4.4), starting at the ICMPv6 type:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     Type      |     Code      |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |R|S|O|                     Reserved                            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// +                       Target Address (16)                     +
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Options (Target Link-Layer Address) ...
/// +-+-+-+-+-+-+-+-+-+-+-+-+-
/// </code>
/// <see cref="TryCreate"/> applies the message-only checks of section 7.1.2 (type 136, code 0, length &gt;= 24,
/// target not multicast, options of non-zero length within the message) once; afterwards no accessor fails.
/// </summary>
public readonly ref struct NeighborAdvertisement
{
    private static class Field
    {
        public const int Type = 0;
        public const int Code = 1;
        public const int Checksum = 2;
        public const int Flags = 4;
        public const int Target = 8;
    }

    /// <summary>Message length without options.</summary>
    public const int MinLength = Field.Target + 16;

    /// <summary>With one Ethernet Target Link-Layer Address option (8 octets), as <see cref="Write"/> builds it.</summary>
    public const int LengthWithLinkLayerAddress = MinLength + 8;

    private const byte RouterFlag = 0x80;
    private const byte SolicitedFlag = 0x40;
    private const byte OverrideFlag = 0x20;

    private readonly Span<byte> _buffer;
    private readonly int _targetLinkLayerOffset;

    private NeighborAdvertisement(Span<byte> buffer, int targetLinkLayerOffset)
    {
        _buffer = buffer;
        _targetLinkLayerOffset = targetLinkLayerOffset;
    }

    /// <summary><paramref name="buffer"/> is the ICMPv6 message (the upper-layer payload of the IPv6 packet).</summary>
    public static bool TryCreate(Span<byte> buffer, out NeighborAdvertisement advertisement)
    {
        advertisement = default;
        if (buffer.Length < MinLength
            || buffer[Field.Type] != Icmpv6Header.TypeNeighborAdvertisement
            || buffer[Field.Code] != 0
            || buffer[Field.Target] == 0xFF
            || !NdpOptions.TryFind(buffer.Slice(MinLength), NdpOptions.TargetLinkLayerAddress, out var option))
        {
            return false;
        }
        advertisement = new NeighborAdvertisement(buffer, option < 0 ? -1 : MinLength + option);
        return true;
    }

    /// <summary>
    /// Writes an advertisement for <paramref name="target"/> (network order) with a Target Link-Layer Address option
    /// into the first <see cref="LengthWithLinkLayerAddress"/> bytes of <paramref name="destination"/>. The checksum
    /// is left 0: fill it with <see cref="Icmpv6Header.FillChecksum"/> once the IPv6 addresses are known.
    /// </summary>
    public static void Write(Span<byte> destination, UInt128 target, MacAddress targetLinkLayerAddress, bool router, bool solicited, bool @override)
    {
        var bytes = destination.Slice(0, LengthWithLinkLayerAddress);
        bytes.Clear();
        bytes[Field.Type] = Icmpv6Header.TypeNeighborAdvertisement;
        bytes[Field.Flags] = (byte)((router ? RouterFlag : 0) | (solicited ? SolicitedFlag : 0) | (@override ? OverrideFlag : 0));
        Unsafe.WriteUnaligned(ref bytes[Field.Target], target);
        bytes[MinLength] = NdpOptions.TargetLinkLayerAddress;
        bytes[MinLength + 1] = 1;
        targetLinkLayerAddress.WriteTo(bytes.Slice(MinLength + 2));
    }

    private ref byte At(int offset) => ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), offset);

    /// <summary>R: the sender is a router.</summary>
    public bool Router
    {
        get => (At(Field.Flags) & RouterFlag) != 0;
        set => At(Field.Flags) = (byte)(value ? At(Field.Flags) | RouterFlag : At(Field.Flags) & ~RouterFlag);
    }

    /// <summary>S: sent in response to a solicitation.</summary>
    public bool Solicited
    {
        get => (At(Field.Flags) & SolicitedFlag) != 0;
        set => At(Field.Flags) = (byte)(value ? At(Field.Flags) | SolicitedFlag : At(Field.Flags) & ~SolicitedFlag);
    }

    /// <summary>O: override an existing cache entry.</summary>
    public bool Override
    {
        get => (At(Field.Flags) & OverrideFlag) != 0;
        set => At(Field.Flags) = (byte)(value ? At(Field.Flags) | OverrideFlag : At(Field.Flags) & ~OverrideFlag);
    }

    /// <summary>Target address, network byte order as read from memory.</summary>
    public UInt128 TargetAddress => Unsafe.ReadUnaligned<UInt128>(ref At(Field.Target));
    public Span<byte> TargetBytes => _buffer.Slice(Field.Target, 16);

    public bool HasTargetLinkLayerAddress => _targetLinkLayerOffset >= 0;

    /// <summary>The Target Link-Layer Address option's MAC; zero when absent.</summary>
    public MacAddress TargetLinkLayerAddress =>
        _targetLinkLayerOffset < 0 ? MacAddress.Zero : MacAddress.Read(_buffer.Slice(_targetLinkLayerOffset + 2));

    public ushort Checksum => (ushort)((At(Field.Checksum) << 8) | At(Field.Checksum + 1));

    public Span<byte> Options => _buffer.Slice(MinLength);
    public Span<byte> Bytes => _buffer;
}
