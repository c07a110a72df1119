namespace XdpNet.Replay;

// Classic libpcap file format (draft-ietf-opsawg-pcap §4-5), written by hand: no pcap library is available
// to this project, and the format is small.
//
//  File header (24 bytes)                         Record header (16 bytes), then incl_len bytes
//  0      4       6       8        12      16      20   0        4          8          12         16
//  | magic | major | minor | zone   | sigfigs| snaplen| linktype |  | ts_sec | ts_frac  | incl_len | orig_len |
//
// The magic's byte order gives the file's byte order; 0xa1b2c3d4 means ts_frac is microseconds,
// 0xa1b23c4d nanoseconds.
internal static class PcapFormat
{
    public const int FileHeaderLength = 24;
    public const int RecordHeaderLength = 16;
    public const uint MagicMicroseconds = 0xA1B2C3D4;
    public const uint MagicNanoseconds = 0xA1B23C4D;
    public const ushort VersionMajor = 2;
    public const ushort VersionMinor = 4;
    /// <summary>LINKTYPE_ETHERNET.</summary>
    public const uint LinkTypeEthernet = 1;
    /// <summary>Largest record accepted; tcpdump's default snaplen (262144).</summary>
    public const int MaxRecordLength = 256 * 1024;

    public const int SnapLengthOffset = 16;
    public const int LinkTypeOffset = 20;
}

/// <summary>One captured packet: its timestamp in nanoseconds since the Unix epoch, the captured bytes and the original length on the wire.</summary>
public sealed record PcapPacket(ulong TimestampNanoseconds, byte[] Data, int OriginalLength);
