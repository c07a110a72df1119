using System.Runtime.CompilerServices;

[assembly: DisableRuntimeMarshalling]

namespace Xdp.Runtime.Interop;

internal static partial class Interop
{
    internal static class Libraries
    {
        internal const string Libc = "libc";
        internal const string LibBpf = "libbpf.so.1";
        internal const string LibXdp = "libxdp.so.1";
    }
}
