using System.Buffers.Binary;

namespace XdpNet.Replay;

/// <summary>
/// Reads a classic pcap file with Ethernet link type, either byte order, micro- or nanosecond timestamps.
/// Anything else, or a truncated/oversized header, throws <see cref="PcapFormatException"/> naming the byte offset.
/// </summary>
public sealed class PcapReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _swap;
    private readonly byte[] _recordHeader = new byte[PcapFormat.RecordHeaderLength];
    private long _position;

    public PcapReader(Stream stream, bool leaveOpen = false)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        var header = new byte[PcapFormat.FileHeaderLength];
        var read = ReadFully(header);
        if (read < header.Length)
        {
            throw new PcapFormatException($"truncated file header: {read} of {PcapFormat.FileHeaderLength} bytes", 0);
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var swapped = BinaryPrimitives.ReverseEndianness(magic);
        if (magic is PcapFormat.MagicMicroseconds or PcapFormat.MagicNanoseconds)
        {
            _swap = !BitConverter.IsLittleEndian;
        }
        else if (swapped is PcapFormat.MagicMicroseconds or PcapFormat.MagicNanoseconds)
        {
            _swap = BitConverter.IsLittleEndian;
            magic = swapped;
        }
        else
        {
            throw new PcapFormatException($"not a pcap file: magic 0x{BinaryPrimitives.ReadUInt32BigEndian(header):x8} (pcapng is not supported)", 0);
        }
        Nanosecond = magic == PcapFormat.MagicNanoseconds;

        var major = U16(header.AsSpan(4));
        if (major != PcapFormat.VersionMajor)
        {
            throw new PcapFormatException($"unsupported pcap version {major}.{U16(header.AsSpan(6))}", 4);
        }
        SnapLength = U32(header.AsSpan(PcapFormat.SnapLengthOffset));
        LinkType = U32(header.AsSpan(PcapFormat.LinkTypeOffset)) & 0x0FFF_FFFF; // upper bits: FCS length flags
        if (LinkType != PcapFormat.LinkTypeEthernet)
        {
            throw new PcapFormatException($"unsupported link type {LinkType} (only 1, Ethernet)", PcapFormat.LinkTypeOffset);
        }
        _position = PcapFormat.FileHeaderLength;
    }

    public bool Nanosecond { get; }
    public uint SnapLength { get; }
    public uint LinkType { get; }

    /// <summary>Byte offset of the next record header.</summary>
    public long Position => _position;

    /// <summary>The next packet, or null at the end of the file.</summary>
    public PcapPacket? ReadNext()
    {
        var offset = _position;
        var read = ReadFully(_recordHeader);
        _position += read;
        if (read == 0) return null;
        if (read < _recordHeader.Length)
        {
            throw new PcapFormatException($"truncated record header: {read} of {PcapFormat.RecordHeaderLength} bytes", offset);
        }

        var seconds = U32(_recordHeader);
        var fraction = U32(_recordHeader.AsSpan(4));
        var included = U32(_recordHeader.AsSpan(8));
        var original = U32(_recordHeader.AsSpan(12));
        // A snaplen of 0 is written by some tools to mean "unlimited"; the 256 KiB ceiling still applies.
        if (SnapLength != 0 && included > SnapLength)
        {
            throw new PcapFormatException($"record of {included} bytes exceeds the snaplen {SnapLength}", offset);
        }
        if (included > PcapFormat.MaxRecordLength)
        {
            throw new PcapFormatException($"record of {included} bytes exceeds the {PcapFormat.MaxRecordLength}-byte limit", offset);
        }
        if (fraction >= (Nanosecond ? 1_000_000_000u : 1_000_000u))
        {
            throw new PcapFormatException($"timestamp fraction {fraction} is not below one second", offset + 4);
        }

        var data = new byte[included];
        var got = ReadFully(data);
        _position += got;
        if (got < data.Length)
        {
            throw new PcapFormatException($"truncated record: {got} of {included} bytes", offset);
        }

        var nanoseconds = (ulong)seconds * 1_000_000_000UL + (Nanosecond ? fraction : fraction * 1000UL);
        return new PcapPacket(nanoseconds, data, (int)Math.Max(original, included));
    }

    /// <summary>All remaining packets.</summary>
    public IEnumerable<PcapPacket> ReadAll()
    {
        while (ReadNext() is { } packet) yield return packet;
    }

    private int ReadFully(Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = _stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private ushort U16(ReadOnlySpan<byte> s) => _swap ? BinaryPrimitives.ReverseEndianness(BitConverter.ToUInt16(s)) : BitConverter.ToUInt16(s);

    private uint U32(ReadOnlySpan<byte> s) => _swap ? BinaryPrimitives.ReverseEndianness(BitConverter.ToUInt32(s)) : BitConverter.ToUInt32(s);

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}
