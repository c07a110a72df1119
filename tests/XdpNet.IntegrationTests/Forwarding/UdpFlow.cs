using System.Net;
using System.Net.Sockets;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Forwarding;

/// <summary>A counted UDP flow: a receiver socket in one namespace, a sender in another (sockets keep the namespace they were created in).</summary>
public static class UdpFlow
{
    /// <summary>Sends <paramref name="count"/> datagrams from <paramref name="from"/> to dst:port in <paramref name="to"/> and returns how many arrived.</summary>
    public static int Run(NetNs from, NetNs to, string destination, int port, int count, int payload = 64)
    {
        var address = IPAddress.Parse(destination);
        using var receiver = to.Invoke(() =>
        {
            var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(address, port));
            s.ReceiveBufferSize = 4 << 20;
            return s;
        });
        using var sender = from.Invoke(() => new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
        var data = new byte[payload];
        var target = new IPEndPoint(address, port);
        for (var i = 0; i < count; i++)
        {
            sender.SendTo(data, target);
            if (i % 32 == 31) Thread.Sleep(1); // stay below what a veth queue absorbs: this counts, it does not load
        }

        var received = 0;
        var buffer = new byte[2048];
        receiver.ReceiveTimeout = 1000;
        while (received < count)
        {
            try
            {
                receiver.Receive(buffer);
                received++;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                break;
            }
        }
        return received;
    }
}
