using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class LibBpf
    {
        internal const ulong BPF_ANY = 0;

        /// <summary>Returns a negative errno on failure (libbpf 1.x).</summary>
        [LibraryImport(Libraries.LibBpf, EntryPoint = "bpf_map_update_elem")]
        internal static partial int MapUpdateElem(int fd, void* key, void* value, ulong flags);
    }
}
