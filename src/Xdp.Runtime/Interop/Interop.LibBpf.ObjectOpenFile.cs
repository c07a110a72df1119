using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class LibBpf
    {
        /// <summary>Returns NULL and sets errno on failure (libbpf 1.x).</summary>
        [LibraryImport(Libraries.LibBpf, EntryPoint = "bpf_object__open_file", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint ObjectOpenFile(string path, void* opts);
    }
}
