namespace XdpNet.Configuration;

/// <summary>
/// One problem with the host configuration. <see cref="Key"/> is the configuration path of the offending
/// value as Microsoft.Extensions.Configuration spells it (<c>Interfaces:1:Bind</c>, <c>Umem:FrameSize</c>),
/// or <c>(file)</c> when the file itself cannot be read.
/// </summary>
public sealed record ConfigError(string Key, string Problem)
{
    /// <summary>Key used for problems with the file itself (missing, unreadable, malformed JSON).</summary>
    public const string FileKey = "(file)";

    public override string ToString() => $"{Key}: {Problem}";
}
