using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class LibBpf
    {
        /// <summary>Detaches the link's program even if other holders of the fd remain. Negative errno on failure.</summary>
        [LibraryImport(Libraries.LibBpf, EntryPoint = "bpf_link_detach")]
        internal static partial int LinkDetach(int linkFd);
    }
}
