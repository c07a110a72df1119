using System.Net;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Routing;

public class RouteTableTests
{
    private static uint V4(string address) => NetworkOrder.AddressV4(IPAddress.Parse(address));
    private static UInt128 V6(string address) => NetworkOrder.AddressV6(IPAddress.Parse(address));

    [Fact]
    public void LongestPrefixWins()
    {
        var table = new RouteTableBuilder()
            .Add(IPNetwork.Parse("198.18.0.0/15"), 1)
            .Add(IPNetwork.Parse("198.18.1.0/24"), 2)
            .Add(IPNetwork.Parse("198.18.1.128/25"), 3)
            .Add(IPNetwork.Parse("198.18.1.77/32"), 4)
            .Build();
        Assert.Equal(1, table.LookupV4(V4("198.19.200.1")));
        Assert.Equal(2, table.LookupV4(V4("198.18.1.1")));
        Assert.Equal(3, table.LookupV4(V4("198.18.1.200")));
        Assert.Equal(4, table.LookupV4(V4("198.18.1.77")));
        Assert.Equal(-1, table.LookupV4(V4("198.20.0.1")));
    }

    [Fact]
    public void DefaultRouteCatchesEverythingElse()
    {
        var table = new RouteTableBuilder()
            .Add(IPNetwork.Parse("0.0.0.0/0"), 7)
            .Add(IPNetwork.Parse("198.18.0.0/16"), 1)
            .Add(IPNetwork.Parse("::/0"), 8)
            .Add(IPNetwork.Parse("2001:db8:b::/64"), 2)
            .Build();
        Assert.Equal(1, table.LookupV4(V4("198.18.3.4")));
        Assert.Equal(7, table.LookupV4(V4("198.19.3.4")));
        Assert.Equal(7, table.LookupV4(V4("255.255.255.255")));
        Assert.Equal(2, table.LookupV6(V6("2001:db8:b::9")));
        Assert.Equal(8, table.LookupV6(V6("2001:db8:c::9")));
    }

    [Fact]
    public void FamiliesAreSeparate()
    {
        var table = new RouteTableBuilder()
            .Add(IPNetwork.Parse("198.18.0.0/15"), 1)
            .Add(IPNetwork.Parse("2001:db8::/32"), 2)
            .Build();
        Assert.Equal(1, table.CountV4);
        Assert.Equal(1, table.CountV6);
        Assert.Equal(-1, table.LookupV6(V6("::ffff:198.18.0.1")));
        Assert.Equal(-1, table.LookupV4(V4("32.1.13.184"))); // the first four bytes of 2001:db8::
        Assert.Equal(2, table.LookupV6(IPAddress.Parse("2001:db8:1::1").GetAddressBytes()));
        Assert.Equal(-1, table.LookupV6(new byte[15]));
    }

    [Fact]
    public void HostRoutesAndFullLengthV6()
    {
        var table = new RouteTableBuilder()
            .Add(IPNetwork.Parse("2001:db8::1/128"), 1)
            .Add(IPNetwork.Parse("2001:db8::/127"), 2)
            .Add(IPNetwork.Parse("2001:db8::/63"), 3)
            .Add(IPNetwork.Parse("2001:db8::/65"), 4)
            .Build();
        Assert.Equal(1, table.LookupV6(V6("2001:db8::1")));
        Assert.Equal(2, table.LookupV6(V6("2001:db8::")));
        Assert.Equal(4, table.LookupV6(V6("2001:db8::2")));
        Assert.Equal(3, table.LookupV6(V6("2001:db8:0:1:8000::1")));
        Assert.Equal(-1, table.LookupV6(V6("2001:db8:0:2::1")));
    }

    [Fact]
    public void EmptyTableFindsNothing()
    {
        Assert.Equal(-1, RouteTable.Empty.LookupV4(V4("198.18.0.1")));
        Assert.Equal(-1, RouteTable.Empty.LookupV6(V6("2001:db8::1")));
    }

    [Fact]
    public void DuplicatePrefixIsRefusedByName()
    {
        var builder = new RouteTableBuilder().Add(IPNetwork.Parse("198.18.0.0/24"), 0);
        var error = Assert.Throws<ArgumentException>(() => builder.Add(IPNetwork.Parse("198.18.0.0/24"), 1));
        Assert.Contains("198.18.0.0/24", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HundredThousandRandomV4RoutesMatchLinearReference()
    {
        var random = new Random(20240101);
        var routes = new List<(uint Prefix, int Length, int Target)>();
        var seen = new HashSet<(uint, int)>();
        var builder = new RouteTableBuilder();
        // Lengths biased to the realistic /16../32 with some short ones; addresses inside 198.18/15 half the time so
        // prefixes nest densely, the rest anywhere.
        while (routes.Count < 100_000)
        {
            var length = random.Next(0, 10) == 0 ? random.Next(0, 16) : random.Next(16, 33);
            var address = random.Next(2) == 0 ? 0xC612_0000u | (uint)random.Next(0, 0x20000) : (uint)random.NextInt64(0, 1L << 32);
            var mask = length == 0 ? 0u : uint.MaxValue << (32 - length);
            var prefix = address & mask;
            if (!seen.Add((prefix, length))) continue;
            routes.Add((prefix, length, routes.Count));
            builder.Add(new IPNetwork(new IPAddress(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(prefix)), length), routes.Count - 1);
        }
        var table = builder.Build();
        Assert.Equal(100_000, table.CountV4);

        for (var query = 0; query < 3000; query++)
        {
            uint address;
            if (query % 2 == 0)
            {
                var route = routes[random.Next(routes.Count)];
                var hostBits = route.Length == 32 ? 0u : (uint)random.NextInt64(0, 1L << 32) & ~(route.Length == 0 ? 0u : uint.MaxValue << (32 - route.Length));
                address = route.Prefix | hostBits;
            }
            else
            {
                address = (uint)random.NextInt64(0, 1L << 32);
            }
            var expected = -1;
            var bestLength = -1;
            foreach (var (prefix, length, target) in routes)
            {
                var mask = length == 0 ? 0u : uint.MaxValue << (32 - length);
                if ((address & mask) == prefix && length > bestLength)
                {
                    bestLength = length;
                    expected = target;
                }
            }
            Assert.Equal(expected, table.LookupV4(NetworkOrder.FromHost(address)));
        }
    }

    [Fact]
    public void FiftyThousandRandomV6RoutesMatchLinearReference()
    {
        var random = new Random(8200);
        var routes = new List<(UInt128 Prefix, int Length, int Target)>();
        var seen = new HashSet<(UInt128, int)>();
        var builder = new RouteTableBuilder();
        var documentation = (UInt128)0x2001_0db8UL << 96;
        while (routes.Count < 50_000)
        {
            var length = random.Next(0, 10) == 0 ? random.Next(0, 129) : 32 + (random.Next(0, 13) * 8);
            var address = documentation | RandomUInt128(random) >> 32; // all inside 2001:db8::/32
            if (random.Next(4) == 0) address = RandomUInt128(random);
            var mask = length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);
            var prefix = address & mask;
            if (!seen.Add((prefix, length))) continue;
            routes.Add((prefix, length, routes.Count));
            builder.Add(new IPNetwork(ToAddress(prefix), length), routes.Count - 1);
        }
        var table = builder.Build();

        for (var query = 0; query < 1000; query++)
        {
            UInt128 address;
            if (query % 2 == 0)
            {
                var route = routes[random.Next(routes.Count)];
                var mask = route.Length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - route.Length);
                address = route.Prefix | (RandomUInt128(random) & ~mask);
            }
            else
            {
                address = documentation | RandomUInt128(random) >> 32;
            }
            var expected = -1;
            var bestLength = -1;
            foreach (var (prefix, length, target) in routes)
            {
                var mask = length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);
                if ((address & mask) == prefix && length > bestLength)
                {
                    bestLength = length;
                    expected = target;
                }
            }
            Assert.Equal(expected, table.LookupV6(NetworkOrder.FromHost(address)));
        }
    }

    private static UInt128 RandomUInt128(Random random) => new((ulong)random.NextInt64() ^ ((ulong)random.Next() << 63), (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63));

    private static IPAddress ToAddress(UInt128 hostOrder)
    {
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, hostOrder);
        return new IPAddress(bytes);
    }
}
