using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Runtime.Wire;

/// <summary>
/// A view over a UDP header (RFC 768):
/// <code>
///  0      7 8     15 16    23 24    31
/// +--------+--------+--------+--------+
/// |     Source      |   Destination   |
/// |      Port       |      Port       |
/// +--------+--------+--------+--------+
/// |     Length      |    Checksum     |
/// +--------+--------+--------+--------+
/// |          data octets ...
/// +---------------- ...
/// </code>
/// <see cref="TryCreate"/> checks 8 &lt;= Length &lt;= buffer once; afterwards no accessor fails. A checksum of 0
/// means "not computed" (allowed over IPv4, RFC 768; see <see cref="Checksum.UpdateUdp16"/>).
/// </summary>
public readonly ref struct UdpHeader
{
    private static class Field
    {
        public const int SourcePort = 0;
        public const int DestinationPort = 2;
        public const int Length = 4;
        public const int Checksum = 6;
    }

    public const int HeaderLength = Field.Checksum + 2;

    /// <summary>Offset of the checksum field, for incremental updates on raw bytes.</summary>
    public const int ChecksumOffset = Field.Checksum;

    /// <summary>Why <see cref="TryCreate"/> refused a buffer.</summary>
    public enum Error : byte
    {
        None,
        /// <summary>Fewer than 8 bytes.</summary>
        Truncated,
        /// <summary>Length field below 8 or past the buffer.</summary>
        BadLength,
    }

    private readonly Span<byte> _buffer;

    private UdpHeader(Span<byte> buffer) => _buffer = buffer;

    public static bool TryCreate(Span<byte> buffer, out UdpHeader header) => TryCreate(buffer, out header, out _);

    public static bool TryCreate(Span<byte> buffer, out UdpHeader header, out Error error)
    {
        header = default;
        if (buffer.Length < HeaderLength)
        {
            error = Error.Truncated;
            return false;
        }
        var length = BinaryPrimitives.ReadUInt16BigEndian(buffer.Slice(Field.Length));
        if (length < HeaderLength || length > buffer.Length)
        {
            error = Error.BadLength;
            return false;
        }
        header = new UdpHeader(buffer);
        error = Error.None;
        return true;
    }

    private ref byte At(int offset) => ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), offset);

    private ushort Read(int offset) => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref At(offset)));

    private void Write(int offset, ushort value) => Unsafe.WriteUnaligned(ref At(offset), BinaryPrimitives.ReverseEndianness(value));

    public ushort SourcePort
    {
        get => Read(Field.SourcePort);
        set => Write(Field.SourcePort, value);
    }

    public ushort DestinationPort
    {
        get => Read(Field.DestinationPort);
        set => Write(Field.DestinationPort, value);
    }

    /// <summary>Header plus data, in bytes.</summary>
    public ushort Length => Read(Field.Length);

    public ushort Checksum
    {
        get => Read(Field.Checksum);
        set => Write(Field.Checksum, value);
    }

    /// <summary>The data up to <see cref="Length"/> (bytes past it, e.g. padding, excluded).</summary>
    public Span<byte> Payload => _buffer.Slice(HeaderLength, Length - HeaderLength);

    /// <summary>Header and data (<see cref="Length"/> bytes): what the checksum covers besides the pseudo-header.</summary>
    public Span<byte> Bytes => _buffer.Slice(0, Length);
}
