using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Runtime.Wire;

/// <summary>
/// A view over an ICMPv6 message (RFC 4443 section 2.1):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     Type      |     Code      |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  MTU (Packet Too Big) / Identifier + Sequence (Echo) / ...    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Message body (errors: as much of the invoking packet as fits)|
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Every message RFC 4443 and RFC 4861 define has the 8-byte header; <see cref="TryCreate"/> checks that once and
/// no accessor fails afterwards. The buffer is the whole message (the upper-layer payload after any extension
/// headers): the checksum covers it plus the RFC 8200 section 8.1 pseudo-header.
/// </summary>
public readonly ref struct Icmpv6Header
{
    private static class Field
    {
        public const int Type = 0;
        public const int Code = 1;
        public const int Checksum = 2;
        public const int Word = 4;
        public const int Sequence = 6;
    }

    public const int HeaderLength = Field.Sequence + 2;
    public const int ChecksumOffset = Field.Checksum;

    public const byte TypeDestinationUnreachable = 1;
    public const byte TypePacketTooBig = 2;
    public const byte TypeTimeExceeded = 3;
    public const byte TypeParameterProblem = 4;
    public const byte TypeEchoRequest = 128;
    public const byte TypeEchoReply = 129;
    public const byte TypeRouterSolicitation = 133;
    public const byte TypeRouterAdvertisement = 134;
    public const byte TypeNeighborSolicitation = 135;
    public const byte TypeNeighborAdvertisement = 136;
    public const byte TypeRedirect = 137;

    private readonly Span<byte> _buffer;

    private Icmpv6Header(Span<byte> buffer) => _buffer = buffer;

    public static bool TryCreate(Span<byte> buffer, out Icmpv6Header header)
    {
        header = default;
        if (buffer.Length < HeaderLength) return false;
        header = new Icmpv6Header(buffer);
        return true;
    }

    private ref byte At(int offset) => ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), offset);

    private ushort Read16(int offset) => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref At(offset)));

    public byte Type
    {
        get => At(Field.Type);
        set => At(Field.Type) = value;
    }

    public byte Code
    {
        get => At(Field.Code);
        set => At(Field.Code) = value;
    }

    public ushort Checksum
    {
        get => Read16(Field.Checksum);
        set => Unsafe.WriteUnaligned(ref At(Field.Checksum), BinaryPrimitives.ReverseEndianness(value));
    }

    /// <summary>RFC 4443 section 2.1: error messages have the high-order bit of the type clear.</summary>
    public bool IsError => Type < 128;

    /// <summary>Echo identifier (RFC 4443 section 4.1).</summary>
    public ushort Identifier => Read16(Field.Word);
    /// <summary>Echo sequence number.</summary>
    public ushort SequenceNumber => Read16(Field.Sequence);
    /// <summary>Packet Too Big MTU (section 3.2), Parameter Problem pointer (section 3.4), or the unused word.</summary>
    public uint Mtu => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref At(Field.Word)));

    /// <summary>The body after the 8-byte header: for errors, the invoking packet (RFC 4443 section 2.4 (c)).</summary>
    public Span<byte> Body => _buffer.Slice(HeaderLength);
    public Span<byte> Bytes => _buffer;

    /// <summary>The checksum this message must carry between <paramref name="source"/> and <paramref name="destination"/> (16 bytes each).</summary>
    public ushort ComputeChecksum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination) =>
        Wire.Checksum.ComputeTransport(_buffer, Field.Checksum, Wire.Checksum.PseudoHeaderV6(source, destination, IpProtocol.Icmpv6, (uint)_buffer.Length), isUdp: false);

    public bool IsChecksumValid(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination) =>
        Wire.Checksum.Fold(Wire.Checksum.Sum(_buffer, Wire.Checksum.PseudoHeaderV6(source, destination, IpProtocol.Icmpv6, (uint)_buffer.Length))) == 0xFFFF;

    public void FillChecksum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination) => Checksum = ComputeChecksum(source, destination);
}
