using System.Buffers.Binary;
using System.Net;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Wire;

namespace XdpNet.Benchmarks;

/// <summary>Frames and tables the benchmarks share: a router between two interfaces with static next hops.</summary>
internal static class BenchmarkFrames
{
    public static readonly MacAddress Mac0 = MacAddress.Parse("02:00:00:00:01:02");
    public static readonly MacAddress Mac1 = MacAddress.Parse("02:00:00:00:02:01");
    public static readonly MacAddress Peer0 = MacAddress.Parse("02:00:00:00:01:01");
    public static readonly MacAddress Peer1 = MacAddress.Parse("02:00:00:00:02:02");

    /// <summary>| eth | IPv4 198.18.1.1 -> 198.18.2.{n} | UDP 1024 -> 9 | padded to <paramref name="frameLength"/>.</summary>
    public static byte[] Udp4(int frameLength, byte hostByte)
    {
        var f = new byte[frameLength];
        Peer1.WriteTo(f.AsSpan(0)); // any destination MAC: the forwarder rewrites it
        Peer0.WriteTo(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), EtherType.Ipv4);
        var ip = f.AsSpan(14, 20);
        var total = frameLength - 14;
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)total);
        ip[8] = 64;
        ip[9] = 17;
        IPAddress.Parse("198.18.1.1").TryWriteBytes(ip[12..], out _);
        IPAddress.Parse($"198.18.2.{hostByte}").TryWriteBytes(ip[16..], out _);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));
        var udp = f.AsSpan(34);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 1024);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 9);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(total - 20));
        return f;
    }

    public static ForwardingTables Router(int extraRoutes)
    {
        var builder = new RouteTableBuilder();
        builder.Add(IPNetwork.Parse("198.18.1.0/24"), 0);
        builder.Add(IPNetwork.Parse("198.18.2.0/24"), 1);
        // Unrelated prefixes, so lookups run against a table of realistic size.
        var rng = new Random(42);
        var seen = new HashSet<IPNetwork> { IPNetwork.Parse("198.18.1.0/24"), IPNetwork.Parse("198.18.2.0/24") };
        for (var i = 0; i < extraRoutes; i++)
        {
            var a = (uint)rng.Next() | 0x0A00_0000u;
            var len = rng.Next(8, 33);
            var net = new IPNetwork(new IPAddress(BinaryPrimitives.ReverseEndianness(a & (len == 32 ? uint.MaxValue : ~(uint.MaxValue >> len)))), len);
            if (seen.Add(net)) builder.Add(net, i % 2);
        }
        RouteTarget[] targets = [RouteTarget.Static(0, Peer0), RouteTarget.Static(1, Peer1)];
        ForwardingInterface[] interfaces = [new("dut0", 2, Mac0, 1500), new("dut1", 3, Mac1, 1500)];
        return new ForwardingTables(builder.Build(), targets, interfaces);
    }
}
