using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class Libc
    {
        internal const int MSG_DONTWAIT = 0x40;

        [LibraryImport(Libraries.Libc, EntryPoint = "sendto", SetLastError = true)]
        internal static partial nint SendTo(int fd, void* buf, nuint len, int flags, void* destAddr, uint addrLen);
    }
}
