using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Xdp.ControlPlane.Tests.Support;

/// <summary>
/// A network namespace with a unique name and its loopback up, deleted on Dispose. The test process stays in the
/// host namespace; it reaches servers inside through sockets created by a thread that joined this namespace
/// (setns(2) acts on the calling thread, and a socket belongs for life to the namespace it was created in).
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;
    private bool _disposed;

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    public static NetworkNamespace Create(string purpose)
    {
        var ns = new NetworkNamespace($"xdpnet-{purpose}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        Command.Run("ip", "netns", "add", ns.Name);
        try
        {
            ns.Exec("ip", "link", "set", "dev", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    public string Exec(string file, params string[] arguments) => Command.Run("ip", ["netns", "exec", Name, file, .. arguments]);

    /// <summary>A new IPv4 TCP socket that lives in this namespace.</summary>
    public Socket CreateTcpSocket()
    {
        Socket? socket = null;
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

                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
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
        return socket ?? throw new InvalidOperationException($"Could not create a socket in '{Name}'.", failure);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            Command.Run("ip", "netns", "del", Name);
        }
        catch (InvalidOperationException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);
}
