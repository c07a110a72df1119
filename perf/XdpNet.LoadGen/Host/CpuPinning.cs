using System.Runtime.InteropServices;
using Xdp.Runtime.Interop;

namespace XdpNet.LoadGen.Host;

internal static unsafe class CpuPinning
{
    /// <summary>
    /// Pins the calling thread (sched_setaffinity with pid 0 affects only the caller), which is the
    /// thread that then issues the BPF_PROG_RUN calls or reads the counters.
    /// </summary>
    public static void PinCurrentThread(int cpu)
    {
        if (cpu < 0 || cpu >= Environment.ProcessorCount || cpu >= 64)
            throw new LoadGenException($"--cpu: {cpu} is not a CPU of this machine (0..{Environment.ProcessorCount - 1})");
        ulong mask = 1UL << cpu;
        if (Interop.Libc.SchedSetAffinity(0, sizeof(ulong), &mask) != 0)
            throw LoadGenException.FromErrno($"sched_setaffinity(cpu {cpu})", Marshal.GetLastSystemError());
    }
}
