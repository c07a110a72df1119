using System.Buffers.Binary;
using System.Net;

namespace Xdp.Runtime.Tests.Steering;

/// <summary>Builds test frames: Ethernet, optional VLAN tags, then IPv4/IPv6 (UDP or ICMP) or a raw ethertype.</summary>
internal static class Frame
{
    public static byte[] Ipv4(string destination, ushort? udpPort = null, ushort[]? vlanTags = null, int ihl = 5, ushort fragmentOffset = 0, bool moreFragments = false)
    {
        var bytes = new List<byte>(Ethernet(0x0800, vlanTags));
        int start = bytes.Count;
        var ip = new byte[ihl * 4];
        ip[0] = (byte)(0x40 | ihl);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(6), (ushort)((moreFragments ? 0x2000 : 0) | fragmentOffset));
        ip[8] = 64;
        ip[9] = udpPort is null ? (byte)1 : (byte)17;
        IPAddress.Parse("198.18.0.2").TryWriteBytes(ip.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(ip.AsSpan(16), out _);
        bytes.AddRange(ip);
        bytes.AddRange(Payload(udpPort));
        byte[] frame = [.. bytes];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(start + 2), (ushort)(frame.Length - start));
        return frame;
    }

    public static byte[] Ipv6(string destination, ushort? udpPort = null, ushort[]? vlanTags = null)
    {
        var bytes = new List<byte>(Ethernet(0x86DD, vlanTags));
        var ip = new byte[40];
        ip[0] = 0x60;
        byte[] payload = Payload(udpPort);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)payload.Length);
        ip[6] = udpPort is null ? (byte)58 : (byte)17;
        ip[7] = 64;
        IPAddress.Parse("2001:db8::2").TryWriteBytes(ip.AsSpan(8), out _);
        IPAddress.Parse(destination).TryWriteBytes(ip.AsSpan(24), out _);
        bytes.AddRange(ip);
        bytes.AddRange(payload);
        return [.. bytes];
    }

    public static byte[] Arp(ushort[]? vlanTags = null) => [.. Ethernet(0x0806, vlanTags), .. new byte[28]];

    public static byte[] Raw(ushort etherType) => [.. Ethernet(etherType, null), .. new byte[46]];

    private static byte[] Ethernet(ushort etherType, ushort[]? vlanTags)
    {
        var bytes = new List<byte> { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2 };
        foreach (var tpid in vlanTags ?? [])
        {
            bytes.AddRange([(byte)(tpid >> 8), (byte)tpid, 0x00, 0x07]); // TPID, TCI (VID 7)
        }

        bytes.AddRange([(byte)(etherType >> 8), (byte)etherType]);
        return [.. bytes];
    }

    private static byte[] Payload(ushort? udpPort)
    {
        var payload = new byte[16];
        if (udpPort is { } port)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload, 40000);
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(2), port);
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(4), (ushort)payload.Length);
        }
        else
        {
            payload[0] = 8; // ICMP echo request
        }

        return payload;
    }
}
