namespace XdpNet.Cni.Protocol;

/// <summary>
/// Error codes of the CNI 1.0 specification ("Error" section, well-known error codes 1-99 are reserved by the spec)
/// and this plugin's own codes (100 and up, which the spec leaves to plugins).
/// </summary>
internal static class CniErrorCode
{
    public const int IncompatibleVersion = 1;
    public const int UnsupportedField = 2;
    public const int UnknownContainer = 3;
    public const int InvalidEnvironment = 4;
    public const int IoFailure = 5;
    public const int DecodeFailure = 6;
    public const int InvalidConfig = 7;
    public const int TryAgainLater = 11;

    /// <summary>No free address (or ILA identifier) left in this host's range.</summary>
    public const int AddressesExhausted = 100;
    /// <summary>An <c>ip</c>/<c>nsenter</c> command failed while setting up or tearing down the interfaces.</summary>
    public const int InterfaceFailure = 101;
    /// <summary>xdpnet refused or failed the endpoint request on its control socket.</summary>
    public const int RegistrationFailure = 102;
    /// <summary>CHECK found the attachment different from what ADD made.</summary>
    public const int CheckFailed = 103;
}
