using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class LibBpf
    {
        [LibraryImport(Libraries.LibBpf, EntryPoint = "bpf_map_lookup_elem")]
        internal static partial int MapLookupElem(int fd, void* key, void* value);
    }
}
