using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    internal static partial class LibBpf
    {
        /// <summary>Possible CPUs: the number of values a per-CPU map lookup returns. Negative errno on failure.</summary>
        [LibraryImport(Libraries.LibBpf, EntryPoint = "libbpf_num_possible_cpus")]
        internal static partial int NumPossibleCpus();
    }
}
