using System.Runtime.InteropServices;

namespace XdpNet.IntegrationTests.Support;

/// <summary>
/// A network namespace with a unique name, deleted (with every interface in it) on Dispose. Commands run in
/// it through <c>ip netns exec</c>; managed code runs in it on a dedicated thread that joined it with setns(2)
/// (<see cref="Invoke{T}"/>), which is how XDP programs get attached to interfaces inside it.
/// </summary>
public sealed class NetNs : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;
    private bool _disposed;

    private NetNs(string name) => Name = name;

    /// <summary>The namespace's name (under /run/netns).</summary>
    public string Name { get; }

    /// <summary>Creates a namespace named <c>xdpnet-{purpose}-{random}</c> with its loopback up.</summary>
    public static NetNs Create(string purpose)
    {
        var ns = new NetNs($"xdpnet-{purpose}-{UniqueName.Suffix(8)}");
        Command.RunChecked("ip", "netns", "add", ns.Name);
        try
        {
            ns.ExecChecked("ip", "link", "set", "dev", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary>Runs a command inside the namespace; the result whatever the exit code.</summary>
    public CommandResult Exec(TimeSpan timeout, string file, params string[] arguments)
        => Command.Run("ip", ["netns", "exec", Name, file, .. arguments], timeout);

    public CommandResult Exec(string file, params string[] arguments) => Exec(Command.DefaultTimeout, file, arguments);

    /// <summary>Runs a command inside the namespace and throws unless it exits with 0.</summary>
    public CommandResult ExecChecked(string file, params string[] arguments) => Exec(file, arguments).EnsureSuccess();

    /// <summary>Runs <paramref name="action"/> on a new thread that has joined this namespace (setns).</summary>
    public T Invoke<T>(Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var nsFile = File.OpenHandle($"/run/netns/{Name}");
                if (SetNs((int)nsFile.DangerousGetHandle(), CLONE_NEWNET) != 0)
                {
                    throw new InvalidOperationException($"setns into '{Name}' failed: errno {Marshal.GetLastPInvokeError()}.");
                }

                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        {
            Name = $"netns {Name}",
        };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        return result;
    }

    public void Invoke(Action action) => Invoke(() =>
    {
        action();
        return 0;
    });

    /// <summary>
    /// Creates a veth pair: <paramref name="name"/> in this namespace and <paramref name="peerName"/> in
    /// <paramref name="peer"/>, both up. Names must fit IFNAMSIZ (15 characters); see <see cref="UniqueName.Interface"/>.
    /// </summary>
    public void AddVeth(string name, NetNs peer, string peerName)
    {
        Command.RunChecked("ip", "link", "add", "name", name, "netns", Name, "type", "veth", "peer", "name", peerName, "netns", peer.Name);
        ExecChecked("ip", "link", "set", "dev", name, "up");
        peer.ExecChecked("ip", "link", "set", "dev", peerName, "up");
    }

    /// <summary>Adds an address (CIDR); IPv6 addresses skip duplicate address detection so they work at once.</summary>
    public void AddAddress(string device, string cidr)
    {
        if (cidr.Contains(':', StringComparison.Ordinal))
        {
            ExecChecked("ip", "-6", "addr", "add", cidr, "dev", device, "nodad");
        }
        else
        {
            ExecChecked("ip", "addr", "add", cidr, "dev", device);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Command.Run("ip", "netns", "del", Name);
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);
}
