using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class LibBpf
    {
        [LibraryImport(Libraries.LibBpf, EntryPoint = "bpf_map_delete_elem")]
        internal static partial int MapDeleteElem(int fd, void* key);
    }
}
