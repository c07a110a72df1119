namespace XdpNet.Cni.Protocol;

/// <summary>The spec versions this plugin speaks. Results have the 1.0 shape (no per-IP "version" as 0.x had).</summary>
internal static class CniVersion
{
    public const string Current = "1.0.0";

    public static readonly string[] Supported = [Current];

    public static bool IsSupported(string version) => Array.IndexOf(Supported, version) >= 0;
}
