using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Ipam;

/// <summary>
/// An exclusive lock on a lock file, held until Dispose or the process's death. On Linux .NET opens a file with
/// FileShare.None under flock(LOCK_EX | LOCK_NB) and refuses the open while another descriptor holds it, so this is
/// flock(2) without interop: the kernel drops the lock with the last descriptor, and a killed plugin never leaves the
/// store locked. Polled, so a stuck holder turns into "try again later" instead of a hung runtime.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly SafeFileHandle _handle;

    private FileLock(SafeFileHandle handle) => _handle = handle;

    /// <exception cref="CniException">Code 11 (try again later) when the lock is not obtained within <paramref name="timeout"/>.</exception>
    public static FileLock Acquire(string path, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var wait = 1;
        while (true)
        {
            try
            {
                return new FileLock(File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException e) when (clock.Elapsed < timeout)
            {
                _ = e; // held by another plugin process: wait with a random back-off, so 50 concurrent ADDs do not wake in lock-step
            }
            catch (IOException e)
            {
                throw new CniException(CniErrorCode.TryAgainLater, $"{path}: still locked after {timeout.TotalSeconds:0.#} s ({e.Message})", path, e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new CniException(CniErrorCode.IoFailure, $"{path}: {e.Message}", path, e);
            }
            Thread.Sleep(Random.Shared.Next(wait, wait * 2 + 1));
            wait = Math.Min(wait * 2, 20);
        }
    }

    public void Dispose() => _handle.Dispose();
}
