using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class LibBpf
    {
        [LibraryImport(Libraries.LibBpf, EntryPoint = "bpf_object__load")]
        internal static partial int ObjectLoad(nint obj);
    }
}
