using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Libraries.Libc, EntryPoint = "recvfrom", SetLastError = true)]
        internal static partial nint RecvFrom(int fd, void* buf, nuint len, int flags, void* srcAddr, uint* addrLen);
    }
}
