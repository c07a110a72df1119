using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Runtime.Wire;

/// <summary>
/// A view over a TCP header (RFC 9293 section 3.1):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          Source Port          |       Destination Port        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        Sequence Number                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Acknowledgment Number                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Data |       |C|E|U|A|P|R|S|F|                               |
/// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
/// |       |       |R|E|G|K|H|T|N|N|                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           Checksum            |         Urgent Pointer        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           [Options]                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// <see cref="TryCreate"/> checks 5 &lt;= Data Offset and Data Offset * 4 &lt;= buffer once; afterwards no accessor
/// fails. The buffer is the TCP segment (pass the IP payload, so <see cref="Payload"/> ends with it).
/// </summary>
public readonly ref struct TcpHeader
{
    private static class Field
    {
        public const int SourcePort = 0;
        public const int DestinationPort = 2;
        public const int Sequence = 4;
        public const int Acknowledgment = 8;
        public const int DataOffset = 12;
        public const int Flags = 13;
        public const int Window = 14;
        public const int Checksum = 16;
        public const int UrgentPointer = 18;
    }

    /// <summary>Header without options (Data Offset 5).</summary>
    public const int MinHeaderLength = Field.UrgentPointer + 2;
    public const int MaxHeaderLength = 60;

    /// <summary>Offset of the checksum field, for incremental updates on raw bytes.</summary>
    public const int ChecksumOffset = Field.Checksum;

    /// <summary>Control bits (RFC 9293 section 3.1; CWR/ECE from RFC 3168).</summary>
    [Flags]
    public enum Flag : byte
    {
        None = 0,
        Fin = 0x01,
        Syn = 0x02,
        Rst = 0x04,
        Psh = 0x08,
        Ack = 0x10,
        Urg = 0x20,
        Ece = 0x40,
        Cwr = 0x80,
    }

    /// <summary>Why <see cref="TryCreate"/> refused a buffer.</summary>
    public enum Error : byte
    {
        None,
        /// <summary>Fewer than 20 bytes.</summary>
        Truncated,
        /// <summary>Data Offset below 5 or past the buffer.</summary>
        BadDataOffset,
    }

    private readonly Span<byte> _buffer;

    private TcpHeader(Span<byte> buffer) => _buffer = buffer;

    public static bool TryCreate(Span<byte> buffer, out TcpHeader header) => TryCreate(buffer, out header, out _);

    public static bool TryCreate(Span<byte> buffer, out TcpHeader header, out Error error)
    {
        header = default;
        if (buffer.Length < MinHeaderLength)
        {
            error = Error.Truncated;
            return false;
        }
        var headerLength = (buffer[Field.DataOffset] >> 4) * 4;
        if (headerLength < MinHeaderLength || headerLength > buffer.Length)
        {
            error = Error.BadDataOffset;
            return false;
        }
        header = new TcpHeader(buffer);
        error = Error.None;
        return true;
    }

    private ref byte At(int offset) => ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), offset);

    private ushort Read16(int offset) => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref At(offset)));

    private void Write16(int offset, ushort value) => Unsafe.WriteUnaligned(ref At(offset), BinaryPrimitives.ReverseEndianness(value));

    public ushort SourcePort
    {
        get => Read16(Field.SourcePort);
        set => Write16(Field.SourcePort, value);
    }

    public ushort DestinationPort
    {
        get => Read16(Field.DestinationPort);
        set => Write16(Field.DestinationPort, value);
    }

    public uint SequenceNumber => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref At(Field.Sequence)));
    public uint AcknowledgmentNumber => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref At(Field.Acknowledgment)));

    /// <summary>Header length in bytes (Data Offset * 4).</summary>
    public int HeaderLength => (At(Field.DataOffset) >> 4) * 4;

    public Flag Flags => (Flag)At(Field.Flags);
    public bool Fin => (Flags & Flag.Fin) != 0;
    public bool Syn => (Flags & Flag.Syn) != 0;
    public bool Rst => (Flags & Flag.Rst) != 0;
    public bool Psh => (Flags & Flag.Psh) != 0;
    public bool Ack => (Flags & Flag.Ack) != 0;
    public bool Urg => (Flags & Flag.Urg) != 0;

    public ushort Window => Read16(Field.Window);

    public ushort Checksum
    {
        get => Read16(Field.Checksum);
        set => Write16(Field.Checksum, value);
    }

    public ushort UrgentPointer => Read16(Field.UrgentPointer);

    public Span<byte> Options => _buffer.Slice(MinHeaderLength, HeaderLength - MinHeaderLength);
    public Span<byte> Payload => _buffer.Slice(HeaderLength);
    /// <summary>The whole segment: what the checksum covers besides the pseudo-header.</summary>
    public Span<byte> Bytes => _buffer;
}
