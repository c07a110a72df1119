using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class LibBpf
    {
        /// <summary>
        /// Next key after <paramref name="key"/> (the first key when key is NULL). Returns a negative errno,
        /// -ENOENT after the last key (libbpf 1.x).
        /// </summary>
        [LibraryImport(Libraries.LibBpf, EntryPoint = "bpf_map_get_next_key")]
        internal static partial int MapGetNextKey(int fd, void* key, void* nextKey);
    }
}
