using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Runtime.Wire;

/// <summary>
/// A view over an IPv4 header (RFC 791 section 3.1):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version|  IHL  |Type of Service|          Total Length         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Identification        |Flags|      Fragment Offset    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Time to Live |    Protocol   |         Header Checksum       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                       Source Address                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Destination Address                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Options                    |    Padding    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// <see cref="TryCreate"/> validates version, IHL >= 5 and IHL*4 &lt;= total length &lt;= buffer once;
/// afterwards no accessor fails. The header checksum is not checked there (see <see cref="IsChecksumValid"/>).
/// Addresses are uints in network byte order as read from memory.
/// </summary>
public readonly ref struct Ipv4Header
{
    private static class Field
    {
        public const int VersionIhl = 0;
        public const int TypeOfService = 1;
        public const int TotalLength = 2;
        public const int Identification = 4;
        public const int FlagsFragment = 6;
        public const int Ttl = 8;
        public const int Protocol = 9;
        public const int Checksum = 10;
        public const int Source = 12;
        public const int Destination = 16;
    }

    /// <summary>Length without options (IHL = 5).</summary>
    public const int MinHeaderLength = Field.Destination + 4;
    public const int MaxHeaderLength = 60;

    /// <summary>Why <see cref="TryCreate"/> refused a buffer.</summary>
    public enum Error : byte
    {
        None,
        /// <summary>Fewer than 20 bytes.</summary>
        Truncated,
        /// <summary>Version not 4, IHL &lt; 5, or lengths inconsistent with each other or the buffer.</summary>
        BadHeader,
    }

    private readonly Span<byte> _buffer;

    private Ipv4Header(Span<byte> buffer) => _buffer = buffer;

    public static bool TryCreate(Span<byte> buffer, out Ipv4Header header) => TryCreate(buffer, out header, out _);

    public static bool TryCreate(Span<byte> buffer, out Ipv4Header header, out Error error)
    {
        header = default;
        if (buffer.Length < MinHeaderLength)
        {
            error = Error.Truncated;
            return false;
        }
        var versionIhl = buffer[Field.VersionIhl];
        var headerLength = (versionIhl & 0x0F) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(buffer.Slice(Field.TotalLength));
        if ((versionIhl >> 4) != 4 || headerLength < MinHeaderLength || totalLength < headerLength || totalLength > buffer.Length)
        {
            error = Error.BadHeader;
            return false;
        }
        header = new Ipv4Header(buffer);
        error = Error.None;
        return true;
    }

    private ref byte At(int offset) => ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), offset);

    public int Version => At(Field.VersionIhl) >> 4;
    /// <summary>Header length in bytes (IHL * 4).</summary>
    public int HeaderLength => (At(Field.VersionIhl) & 0x0F) * 4;
    public byte TypeOfService => At(Field.TypeOfService);
    public ushort TotalLength => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref At(Field.TotalLength)));
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(Field.Identification));
    public bool DontFragment => (At(Field.FlagsFragment) & 0x40) != 0;
    public bool MoreFragments => (At(Field.FlagsFragment) & 0x20) != 0;
    /// <summary>Fragment offset in 8-octet units.</summary>
    public ushort FragmentOffset => (ushort)(BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(Field.FlagsFragment)) & 0x1FFF);

    public byte Ttl
    {
        get => At(Field.Ttl);
        set => At(Field.Ttl) = value;
    }

    public byte Protocol => At(Field.Protocol);

    public ushort HeaderChecksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(Field.Checksum));
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer.Slice(Field.Checksum), value);
    }

    /// <summary>Source address, network byte order as read from memory.</summary>
    public uint SourceAddress
    {
        get => Unsafe.ReadUnaligned<uint>(ref At(Field.Source));
        set => Unsafe.WriteUnaligned(ref At(Field.Source), value);
    }

    /// <summary>Destination address, network byte order as read from memory.</summary>
    public uint DestinationAddress
    {
        get => Unsafe.ReadUnaligned<uint>(ref At(Field.Destination));
        set => Unsafe.WriteUnaligned(ref At(Field.Destination), value);
    }

    public Span<byte> HeaderBytes => _buffer.Slice(0, HeaderLength);
    public Span<byte> Options => _buffer.Slice(MinHeaderLength, HeaderLength - MinHeaderLength);
    /// <summary>The payload up to the total length (Ethernet padding excluded).</summary>
    public Span<byte> Payload => _buffer.Slice(HeaderLength, TotalLength - HeaderLength);

    /// <summary>RFC 791 / RFC 1071: the sum over the header including the checksum field folds to 0xFFFF.</summary>
    public bool IsChecksumValid => Checksum.Fold(Checksum.Sum(HeaderBytes)) == 0xFFFF;

    /// <summary>Computes the checksum from scratch and stores it.</summary>
    public void FillChecksum()
    {
        HeaderChecksum = 0;
        HeaderChecksum = Checksum.Compute(HeaderBytes);
    }

    /// <summary>
    /// TTL - 1 with the checksum adjusted incrementally (RFC 1624 section 3; RFC 1812 section 5.3.1): TTL is the
    /// high byte of the 16-bit word it shares with Protocol.
    /// </summary>
    public void DecrementTtl()
    {
        var ttl = At(Field.Ttl);
        var protocol = At(Field.Protocol);
        var oldWord = (ushort)((ttl << 8) | protocol);
        var newWord = (ushort)(((byte)(ttl - 1) << 8) | protocol);
        At(Field.Ttl) = (byte)(ttl - 1);
        HeaderChecksum = Checksum.Update16(HeaderChecksum, oldWord, newWord);
    }
}
