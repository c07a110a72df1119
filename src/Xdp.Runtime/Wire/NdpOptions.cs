namespace Xdp.Runtime.Wire;

/// <summary>
/// Neighbor Discovery options (RFC 4861 section 4.6): type, length in units of 8 octets, value.
/// <code>
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     Type      |    Length     |     Link-Layer Address ...    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </summary>
public static class NdpOptions
{
    public const byte SourceLinkLayerAddress = 1;
    public const byte TargetLinkLayerAddress = 2;

    /// <summary>Constant bound on the option walk (a solicitation or advertisement carries one or two).</summary>
    public const int MaxOptions = 16;

    /// <summary>
    /// Walks all of <paramref name="options"/> and finds the first option of <paramref name="type"/>: its offset in
    /// <paramref name="options"/>, or -1 when absent. False when the options are malformed: a zero length
    /// (RFC 4861 section 7.1.1/7.1.2: discard), an option running past the end, or more than <see cref="MaxOptions"/>.
    /// </summary>
    public static bool TryFind(ReadOnlySpan<byte> options, byte type, out int offset)
    {
        offset = -1;
        var at = 0;
        for (var count = 0; at < options.Length; count++)
        {
            if (count == MaxOptions || options.Length - at < 2) return false;
            var length = options[at + 1] * 8;
            if (length == 0 || length > options.Length - at) return false;
            if (options[at] == type && offset < 0) offset = at;
            at += length;
        }
        return true;
    }
}
