
using Libc = Xdp.Runtime.Interop.Interop.Libc;

namespace Xdp.Runtime.Xsk;

/// <summary>A failed AF_XDP set-up step, naming the step and the kernel's errno.</summary>
public sealed class XskException : Exception
{
    public XskException(string message, int errno) : base(message) => Errno = errno;

    public int Errno { get; }

    public static XskException FromErrno(string step, int errno) =>
        new($"{step}: {Libc.StrError(errno)} (errno {errno})", errno);
}
