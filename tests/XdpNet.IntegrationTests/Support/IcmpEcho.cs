using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace XdpNet.IntegrationTests.Support;

/// <summary>
/// ICMP echo over a raw socket (the machine has no ping binary). The socket belongs to the network namespace
/// of the calling thread, so call it inside <see cref="NetNs.Invoke{T}"/>.
/// </summary>
public static class IcmpEcho
{
    private const byte EchoRequestV4 = 8;   // RFC 792
    private const byte EchoReplyV4 = 0;
    private const byte EchoRequestV6 = 128; // RFC 4443 section 4
    private const byte EchoReplyV6 = 129;

    /// <summary>Sends <paramref name="count"/> echo requests, one at a time; returns how many were answered.</summary>
    public static int Ping(IPAddress destination, int count = 3, TimeSpan? timeout = null)
    {
        bool v6 = destination.AddressFamily == AddressFamily.InterNetworkV6;
        using var socket = new Socket(destination.AddressFamily, SocketType.Raw, v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp);
        socket.ReceiveTimeout = (int)(timeout ?? TimeSpan.FromSeconds(2)).TotalMilliseconds;
        ushort id = (ushort)Random.Shared.Next(1, ushort.MaxValue);
        var request = new byte[16];
        var buffer = new byte[1500];
        int answered = 0;
        for (ushort seq = 1; seq <= count; seq++)
        {
            request[0] = v6 ? EchoRequestV6 : EchoRequestV4;
            request[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(2), 0);
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4), id);
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), seq);
            if (!v6)
            {
                // The kernel fills the ICMPv6 checksum (RFC 3542 section 3.1), not the ICMPv4 one.
                BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(2), Checksum(request));
            }

            socket.SendTo(request, new IPEndPoint(destination, 0));
            if (AwaitReply(socket, buffer, v6, id, seq))
            {
                answered++;
            }
        }

        return answered;
    }

    private static bool AwaitReply(Socket socket, byte[] buffer, bool v6, ushort id, ushort seq)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(socket.ReceiveTimeout);
        while (DateTime.UtcNow < deadline)
        {
            int length;
            try
            {
                length = socket.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                return false;
            }

            // IPv4 raw sockets deliver the IP header too; IPv6 ones only the ICMPv6 message.
            int offset = v6 ? 0 : (buffer[0] & 0xF) * 4;
            if (length < offset + 8)
            {
                continue;
            }

            var icmp = buffer.AsSpan(offset, length - offset);
            if (icmp[0] == (v6 ? EchoReplyV6 : EchoReplyV4)
                && BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) == id
                && BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]) == seq)
            {
                return true;
            }
        }

        return false;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if ((data.Length & 1) != 0)
        {
            sum += (uint)data[^1] << 8;
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
