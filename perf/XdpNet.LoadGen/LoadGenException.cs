using Xdp.Runtime.Interop;

namespace XdpNet.LoadGen;

/// <summary>A failure the user can act on; Program prints the message without a stack trace.</summary>
internal sealed class LoadGenException(string message) : Exception(message)
{
    public static LoadGenException FromErrno(string what, int errno) =>
        new($"{what} failed: {Interop.Libc.StrError(errno)} (errno {errno})");
}
