using Xdp.Runtime.Interop;

namespace Xdp.Runtime.Routing;

/// <summary>
/// Runs code inside a named network namespace (<c>/var/run/netns/&lt;name&gt;</c>, as <c>ip netns add</c> makes).
/// Sockets are bound to the namespace of the thread that creates them, so a netlink or UDP socket opened here keeps
/// talking to that namespace from any thread afterwards. A program started with <c>ip netns exec</c> needs none of this.
/// </summary>
public static class NetworkNamespace
{
    /// <summary>
    /// Runs <paramref name="action"/> on a fresh thread that first calls setns(2) into <paramref name="name"/>.
    /// The thread ends afterwards, so no pooled thread is left in the namespace.
    /// </summary>
    public static T Run<T>(string name, Func<T> action)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(action);
        if (name.Contains('/', StringComparison.Ordinal)) throw new ArgumentException($"Network namespace name '{name}' must not contain '/'", nameof(name));

        T result = default!;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle(Path.Combine("/var/run/netns", name)))
                {
                    if (Interop.Interop.Libc.SetNs((int)handle.DangerousGetHandle(), Interop.Interop.Libc.CLONE_NEWNET) != 0)
                    {
                        var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                        throw new IOException($"setns into network namespace '{name}' failed: {Interop.Interop.Libc.StrError(errno)}");
                    }
                }
                result = action();
            }
            catch (Exception e)
            {
                failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            Name = $"netns {name}",
            IsBackground = true,
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }
}
