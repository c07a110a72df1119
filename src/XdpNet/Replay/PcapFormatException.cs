namespace XdpNet.Replay;

/// <summary>A pcap file that cannot be read; <see cref="Offset"/> is the byte offset of the offending header.</summary>
public sealed class PcapFormatException : Exception
{
    public PcapFormatException(string message, long offset)
        : base($"{message} (at byte offset {offset})") => Offset = offset;

    public PcapFormatException()
    {
    }

    public PcapFormatException(string message)
        : base(message)
    {
    }

    public PcapFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public long Offset { get; }
}
