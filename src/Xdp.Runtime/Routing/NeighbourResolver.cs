using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Xdp.Runtime.Wire;
using static Xdp.Runtime.Interop.Interop;

namespace Xdp.Runtime.Routing;

/// <summary>
/// The kernel's neighbour table (ARP / NDP cache) over rtnetlink, off the hot path: <see cref="ReadTable"/> dumps it
/// (RTM_GETNEIGH, both families), <see cref="RequestResolution"/> makes the kernel resolve a next hop it does not
/// know yet. The data plane's steering program leaves ARP and NDP to the kernel, so the kernel's cache is the
/// source of truth and the data plane only copies from it.
/// <para>
/// Resolution uses RTM_NEWNEIGH with NTF_USE (kernel neigh_add -> neigh_event_send): the kernel creates the entry
/// if needed and sends the ARP request / Neighbour Solicitation on exactly the given device, whatever the kernel's
/// own routes say. Sending a UDP datagram to the next hop would also trigger resolution, but only if the kernel's
/// routing table agrees the next hop is on-link on that device — which the data plane's routes need not match.
/// </para>
/// The socket belongs to the network namespace it was opened in (<see cref="Open"/>); not thread-safe.
/// </summary>
public sealed unsafe class NeighbourResolver : IDisposable
{
    private const int ReceiveBufferSize = 64 * 1024;

    private readonly byte[] _buffer = new byte[ReceiveBufferSize];
    private int _fd;
    private uint _sequence;

    private NeighbourResolver(int fd) => _fd = fd;

    /// <summary>
    /// Opens an rtnetlink socket in the current network namespace, or in <paramref name="networkNamespace"/>
    /// (a name under /var/run/netns) when given.
    /// </summary>
    public static NeighbourResolver Open(string? networkNamespace = null) =>
        networkNamespace is null ? new NeighbourResolver(OpenSocket()) : NetworkNamespace.Run(networkNamespace, () => new NeighbourResolver(OpenSocket()));

    private static int OpenSocket()
    {
        var fd = Libc.Socket(Netlink.AF_NETLINK, Netlink.SOCK_RAW | Netlink.SOCK_CLOEXEC, Netlink.NETLINK_ROUTE);
        if (fd < 0) throw Failure("socket(AF_NETLINK)");
        var address = new Netlink.SockaddrNl { Family = Netlink.AF_NETLINK };
        // A receive timeout so a lost reply cannot hang the refresher forever.
        var timeout = new Netlink.TimeVal { Seconds = 5 };
        if (Libc.Bind(fd, &address, (uint)sizeof(Netlink.SockaddrNl)) != 0
            || Libc.SetSockOpt(fd, Netlink.SOL_SOCKET, Netlink.SO_RCVTIMEO, &timeout, (uint)sizeof(Netlink.TimeVal)) != 0)
        {
            var error = Failure("bind(AF_NETLINK)");
            Libc.Close(fd);
            throw error;
        }
        return fd;
    }

    /// <summary>The usable neighbours (see <see cref="NeighbourEntry.UsableStates"/>) of both families.</summary>
    public NeighbourTable ReadTable() => new(ReadEntries());

    /// <summary>Every IPv4 and IPv6 neighbour entry with a 6-byte link-layer address, in any state.</summary>
    public IReadOnlyList<NeighbourEntry> ReadEntries()
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        var sequence = ++_sequence;
        var request = stackalloc byte[sizeof(Netlink.NlMsgHdr) + sizeof(Netlink.NdMsg)];
        new Span<byte>(request, sizeof(Netlink.NlMsgHdr) + sizeof(Netlink.NdMsg)).Clear();
        var header = (Netlink.NlMsgHdr*)request;
        header->Length = (uint)(sizeof(Netlink.NlMsgHdr) + sizeof(Netlink.NdMsg));
        header->Type = Netlink.RTM_GETNEIGH;
        header->Flags = Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP;
        header->Sequence = sequence;
        ((Netlink.NdMsg*)(request + sizeof(Netlink.NlMsgHdr)))->Family = Netlink.AF_UNSPEC;
        Send(request, (int)header->Length);

        var entries = new List<NeighbourEntry>();
        while (true)
        {
            var received = Receive();
            var messages = _buffer.AsSpan(0, received);
            while (NextMessage(ref messages, "neighbour dump", out var message, out var body))
            {
                if (message.Sequence != sequence) continue;
                switch (message.Type)
                {
                    case Netlink.NLMSG_DONE:
                        return entries;
                    case Netlink.NLMSG_ERROR:
                        ThrowIfError(body, "RTM_GETNEIGH dump");
                        return entries;
                    case Netlink.RTM_NEWNEIGH:
                        if (TryParseNeighbour(body, out var entry)) entries.Add(entry);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Asks the kernel to resolve <paramref name="address"/> on <paramref name="kernelInterfaceIndex"/> (sends ARP /
    /// NS now if the entry is not valid). Returns at once; read the table later for the result.
    /// </summary>
    public void RequestResolution(int kernelInterfaceIndex, IPAddress address)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernelInterfaceIndex);
        var family = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => Netlink.AF_INET,
            AddressFamily.InterNetworkV6 => Netlink.AF_INET6,
            _ => throw new ArgumentException($"{address} is neither IPv4 nor IPv6", nameof(address)),
        };
        var addressLength = family == Netlink.AF_INET ? 4 : 16;
        var length = sizeof(Netlink.NlMsgHdr) + sizeof(Netlink.NdMsg) + sizeof(Netlink.RtAttr) + addressLength;
        var request = stackalloc byte[length];
        new Span<byte>(request, length).Clear();
        var sequence = ++_sequence;
        var header = (Netlink.NlMsgHdr*)request;
        header->Length = (uint)length;
        header->Type = Netlink.RTM_NEWNEIGH;
        header->Flags = Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK | Netlink.NLM_F_CREATE;
        header->Sequence = sequence;
        var neighbour = (Netlink.NdMsg*)(request + sizeof(Netlink.NlMsgHdr));
        neighbour->Family = (byte)family;
        neighbour->IfIndex = kernelInterfaceIndex;
        neighbour->Flags = Netlink.NTF_USE;
        var attribute = (Netlink.RtAttr*)(neighbour + 1);
        attribute->Length = (ushort)(sizeof(Netlink.RtAttr) + addressLength);
        attribute->Type = Netlink.NDA_DST;
        address.TryWriteBytes(new Span<byte>(attribute + 1, addressLength), out _);
        Send(request, length);

        while (true)
        {
            var received = Receive();
            var messages = _buffer.AsSpan(0, received);
            while (NextMessage(ref messages, "acknowledgement", out var message, out var body))
            {
                if (message.Sequence == sequence && message.Type == Netlink.NLMSG_ERROR)
                {
                    ThrowIfError(body, $"RTM_NEWNEIGH NTF_USE {address} ifindex {kernelInterfaceIndex}");
                    return;
                }
            }
        }
    }

    /// <summary>Takes the next netlink message off <paramref name="messages"/>; false when none is left.</summary>
    private static bool NextMessage(ref Span<byte> messages, string what, out Netlink.NlMsgHdr message, out Span<byte> body)
    {
        if (messages.Length < sizeof(Netlink.NlMsgHdr))
        {
            message = default;
            body = default;
            return false;
        }
        message = MemoryMarshal.Read<Netlink.NlMsgHdr>(messages);
        if (message.Length < sizeof(Netlink.NlMsgHdr) || message.Length > messages.Length)
            throw new IOException($"rtnetlink: truncated message in {what}");
        body = messages.Slice(sizeof(Netlink.NlMsgHdr), (int)message.Length - sizeof(Netlink.NlMsgHdr));
        messages = messages.Slice(Math.Min(messages.Length, Netlink.NetlinkAlign((int)message.Length)));
        return true;
    }

    private static bool TryParseNeighbour(ReadOnlySpan<byte> body, out NeighbourEntry entry)
    {
        entry = default;
        if (body.Length < sizeof(Netlink.NdMsg)) return false;
        var ndm = MemoryMarshal.Read<Netlink.NdMsg>(body);
        if (ndm.Family != Netlink.AF_INET && ndm.Family != Netlink.AF_INET6) return false;
        var addressLength = ndm.Family == Netlink.AF_INET ? 4 : 16;
        IPAddress? address = null;
        MacAddress? mac = null;
        var attributes = body.Slice(Netlink.NetlinkAlign(sizeof(Netlink.NdMsg)));
        while (attributes.Length >= sizeof(Netlink.RtAttr))
        {
            var attribute = MemoryMarshal.Read<Netlink.RtAttr>(attributes);
            if (attribute.Length < sizeof(Netlink.RtAttr) || attribute.Length > attributes.Length) break;
            var payload = attributes.Slice(sizeof(Netlink.RtAttr), attribute.Length - sizeof(Netlink.RtAttr));
            if (attribute.Type == Netlink.NDA_DST && payload.Length == addressLength) address = new IPAddress(payload);
            else if (attribute.Type == Netlink.NDA_LLADDR && payload.Length == MacAddress.Length) mac = MacAddress.Read(payload);
            attributes = attributes.Slice(Math.Min(attributes.Length, Netlink.NetlinkAlign(attribute.Length)));
        }
        if (address is null || mac is null) return false;
        entry = new NeighbourEntry(ndm.IfIndex, address, mac.Value, (NeighbourState)ndm.State);
        return true;
    }

    private static void ThrowIfError(ReadOnlySpan<byte> body, string operation)
    {
        if (body.Length < sizeof(int)) throw new IOException($"rtnetlink {operation}: short error message");
        var error = -MemoryMarshal.Read<int>(body);
        if (error != 0) throw new IOException($"rtnetlink {operation} failed: {Libc.StrError(error)}");
    }

    private void Send(byte* message, int length)
    {
        while (true)
        {
            var sent = Libc.SendTo(_fd, message, (nuint)length, 0, null, 0);
            if (sent == length) return;
            if (sent < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
            throw Failure("send(rtnetlink)");
        }
    }

    private int Receive()
    {
        fixed (byte* buffer = _buffer)
        {
            while (true)
            {
                var received = Libc.RecvFrom(_fd, buffer, (nuint)_buffer.Length, 0, null, null);
                if (received > 0) return (int)received;
                if (received < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
                throw received == 0 ? new IOException("rtnetlink: socket closed") : Failure("recv(rtnetlink)");
            }
        }
    }

    private static IOException Failure(string operation)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{operation} failed: {Libc.StrError(errno)}");
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            Libc.Close(_fd);
            _fd = -1;
        }
    }
}
