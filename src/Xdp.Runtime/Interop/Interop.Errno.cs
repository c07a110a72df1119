using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class Libc
    {
        internal const int EINTR = 4;
        internal const int EAGAIN = 11;
        internal const int ENOBUFS = 105;
        internal const int EBUSY = 16;
        internal const int ENETDOWN = 100;
        internal const int EOPNOTSUPP = 95;
        internal const int EINVAL = 22;
        internal const int ENXIO = 6;

        [LibraryImport(Libraries.Libc, EntryPoint = "strerror")]
        private static partial nint StrErrorNative(int errnum);

        internal static string StrError(int errno) => Marshal.PtrToStringUTF8(StrErrorNative(errno)) ?? $"errno {errno}";
    }
}
