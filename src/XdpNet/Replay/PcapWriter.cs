using System.Buffers.Binary;

namespace XdpNet.Replay;

/// <summary>Writes a classic little-endian pcap file, Ethernet link type, micro- or nanosecond timestamps.</summary>
public sealed class PcapWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _recordHeader = new byte[PcapFormat.RecordHeaderLength];

    public PcapWriter(Stream stream, bool nanosecond = false, int snapLength = PcapFormat.MaxRecordLength, bool leaveOpen = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapLength);
        _stream = stream;
        _leaveOpen = leaveOpen;
        Nanosecond = nanosecond;
        SnapLength = snapLength;
        Span<byte> header = stackalloc byte[PcapFormat.FileHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, nanosecond ? PcapFormat.MagicNanoseconds : PcapFormat.MagicMicroseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], PcapFormat.VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], PcapFormat.VersionMinor);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0); // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(header[PcapFormat.SnapLengthOffset..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[PcapFormat.LinkTypeOffset..], PcapFormat.LinkTypeEthernet);
        _stream.Write(header);
    }

    public bool Nanosecond { get; }
    public int SnapLength { get; }

    /// <summary>Create (truncate) a file and write the header.</summary>
    public static PcapWriter Create(string path, bool nanosecond = false) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read), nanosecond);

    /// <param name="timestampNanoseconds">Since the Unix epoch; written with the file's resolution.</param>
    /// <param name="data">The frame; cut to the snaplen if longer.</param>
    /// <param name="originalLength">Length on the wire; default the frame's length.</param>
    public void Write(ulong timestampNanoseconds, ReadOnlySpan<byte> data, int originalLength = -1)
    {
        var included = Math.Min(data.Length, SnapLength);
        var seconds = timestampNanoseconds / 1_000_000_000UL;
        var fraction = timestampNanoseconds % 1_000_000_000UL;
        if (!Nanosecond) fraction /= 1000;
        BinaryPrimitives.WriteUInt32LittleEndian(_recordHeader, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(_recordHeader.AsSpan(4), (uint)fraction);
        BinaryPrimitives.WriteUInt32LittleEndian(_recordHeader.AsSpan(8), (uint)included);
        BinaryPrimitives.WriteUInt32LittleEndian(_recordHeader.AsSpan(12), (uint)Math.Max(originalLength < 0 ? data.Length : originalLength, included));
        _stream.Write(_recordHeader);
        _stream.Write(data[..included]);
    }

    public void Dispose()
    {
        _stream.Flush();
        if (!_leaveOpen) _stream.Dispose();
    }
}
