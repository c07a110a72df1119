using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Runtime.Wire;

/// <summary>
/// A view over an ICMP message (RFC 792):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     Type      |     Code      |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Identifier (echo) / unused  |  Sequence Number (echo) / ... |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     Data (echo) / Internet Header + 64 bits of data (errors)  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Every RFC 792 message has the 8-byte header; <see cref="TryCreate"/> checks that once and no accessor fails
/// afterwards. The buffer is the whole message (the IP payload): the checksum covers it, with no pseudo-header.
/// </summary>
public readonly ref struct Icmpv4Header
{
    private static class Field
    {
        public const int Type = 0;
        public const int Code = 1;
        public const int Checksum = 2;
        public const int Identifier = 4;
        public const int Sequence = 6;
    }

    public const int HeaderLength = Field.Sequence + 2;
    public const int ChecksumOffset = Field.Checksum;

    public const byte TypeEchoReply = 0;
    public const byte TypeDestinationUnreachable = 3;
    public const byte TypeEchoRequest = 8;
    public const byte TypeTimeExceeded = 11;
    public const byte TypeParameterProblem = 12;

    private readonly Span<byte> _buffer;

    private Icmpv4Header(Span<byte> buffer) => _buffer = buffer;

    public static bool TryCreate(Span<byte> buffer, out Icmpv4Header header)
    {
        header = default;
        if (buffer.Length < HeaderLength) return false;
        header = new Icmpv4Header(buffer);
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

    /// <summary>Echo identifier (RFC 792 Echo / Echo Reply).</summary>
    public ushort Identifier => Read16(Field.Identifier);
    /// <summary>Echo sequence number.</summary>
    public ushort SequenceNumber => Read16(Field.Sequence);
    /// <summary>The second 32-bit word, whatever the type puts there.</summary>
    public uint RestOfHeader => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref At(Field.Identifier)));

    /// <summary>Destination Unreachable, Time Exceeded, Parameter Problem: they quote the offending datagram.</summary>
    public bool IsError => Type is TypeDestinationUnreachable or TypeTimeExceeded or TypeParameterProblem;

    public Span<byte> Payload => _buffer.Slice(HeaderLength);
    public Span<byte> Bytes => _buffer;

    /// <summary>The sum over the message including its checksum folds to 0xFFFF (RFC 792, RFC 1071).</summary>
    public bool IsChecksumValid => Wire.Checksum.Fold(Wire.Checksum.Sum(_buffer)) == 0xFFFF;

    public void FillChecksum()
    {
        Checksum = 0;
        Checksum = Wire.Checksum.Compute(_buffer);
    }
}
