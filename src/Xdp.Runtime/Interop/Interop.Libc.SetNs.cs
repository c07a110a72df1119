using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>clone(2) flag selecting the network namespace (linux/sched.h).</summary>
        internal const int CLONE_NEWNET = 0x40000000;

        /// <summary>setns(2): moves the calling thread into the namespace referred to by <paramref name="fd"/>.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "setns", SetLastError = true)]
        internal static partial int SetNs(int fd, int nsType);
    }
}
