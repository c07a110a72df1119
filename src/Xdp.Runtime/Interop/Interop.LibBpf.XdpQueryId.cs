using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class LibBpf
    {
        /// <summary>
        /// The id of the XDP program attached to <paramref name="ifindex"/> (0 when none); flags select the
        /// mode (XDP_FLAGS_DRV_MODE/SKB_MODE) or 0 for whichever is attached. Negative errno on failure.
        /// </summary>
        [LibraryImport(Libraries.LibBpf, EntryPoint = "bpf_xdp_query_id")]
        internal static partial int XdpQueryId(int ifindex, int flags, uint* progId);
    }
}
