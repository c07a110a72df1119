using System.Runtime.InteropServices;

namespace Xdp.Runtime.Interop;

internal static unsafe partial class Interop
{
    /// <summary>
    /// rtnetlink constants and struct mirrors (linux/netlink.h, linux/rtnetlink.h, linux/neighbour.h), in their own
    /// class so socket constants here cannot collide with others added to <see cref="Libc"/>.
    /// </summary>
    internal static partial class Netlink
    {
        internal const int AF_UNSPEC = 0;
        internal const int AF_INET = 2;
        internal const int AF_INET6 = 10;
        internal const int AF_NETLINK = 16;
        internal const int SOCK_RAW = 3;
        internal const int SOCK_CLOEXEC = 0x80000;
        internal const int NETLINK_ROUTE = 0;
        internal const int SOL_SOCKET = 1;
        internal const int SO_RCVTIMEO = 20;

        internal const ushort NLMSG_ERROR = 2;
        internal const ushort NLMSG_DONE = 3;
        internal const ushort RTM_NEWNEIGH = 28;
        internal const ushort RTM_GETNEIGH = 30;

        internal const ushort NLM_F_REQUEST = 0x01;
        internal const ushort NLM_F_ACK = 0x04;
        internal const ushort NLM_F_ROOT = 0x100;
        internal const ushort NLM_F_MATCH = 0x200;
        internal const ushort NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
        internal const ushort NLM_F_CREATE = 0x400;

        internal const ushort NDA_DST = 1;
        internal const ushort NDA_LLADDR = 2;

        /// <summary>ndm_flags: "use" the entry, i.e. neigh_event_send(): start resolution if not valid.</summary>
        internal const byte NTF_USE = 0x01;

        /// <summary>Mirrors struct sockaddr_nl (linux/netlink.h).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct SockaddrNl
        {
            public ushort Family;
            public ushort Pad;
            public uint Pid;
            public uint Groups;
        }

        /// <summary>Mirrors struct nlmsghdr (linux/netlink.h).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct NlMsgHdr
        {
            public uint Length;
            public ushort Type;
            public ushort Flags;
            public uint Sequence;
            public uint Pid;
        }

        /// <summary>Mirrors struct ndmsg (linux/neighbour.h).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct NdMsg
        {
            public byte Family;
            public byte Pad1;
            public ushort Pad2;
            public int IfIndex;
            public ushort State;
            public byte Flags;
            public byte Type;
        }

        /// <summary>Mirrors struct rtattr (linux/rtnetlink.h).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct RtAttr
        {
            public ushort Length;
            public ushort Type;
        }

        /// <summary>Mirrors struct timeval (64-bit).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct TimeVal
        {
            public long Seconds;
            public long Microseconds;
        }

        /// <summary>NLMSG_ALIGN / RTA_ALIGN: 4-byte alignment.</summary>
        internal static int NetlinkAlign(int length) => (length + 3) & ~3;
    }
}
