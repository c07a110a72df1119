using System.Runtime.InteropServices;
using Xdp.Runtime.Xsk;
using Libc = Xdp.Runtime.Interop.Interop.Libc;

namespace Xdp.Runtime.Worker;

public static unsafe class CpuAffinity
{
    /// <summary>Pins the calling OS thread to one CPU (sched_setaffinity on tid 0 = the caller).</summary>
    public static void PinCurrentThread(int cpu)
    {
        if ((uint)cpu >= 64 * 16) throw new ArgumentOutOfRangeException(nameof(cpu));
        var mask = stackalloc ulong[16];
        for (var i = 0; i < 16; i++) mask[i] = 0;
        mask[cpu / 64] = 1UL << (cpu % 64);
        if (Libc.SchedSetAffinity(0, 16 * sizeof(ulong), mask) != 0)
            throw XskException.FromErrno($"sched_setaffinity(cpu {cpu})", Marshal.GetLastPInvokeError());
    }
}
