using System.Net;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Routing;

public class NeighbourTableTests
{
    private static readonly MacAddress MacA = MacAddress.Parse("02:00:00:00:0a:01");
    private static readonly MacAddress MacB = MacAddress.Parse("02:00:00:00:0b:01");

    [Fact]
    public void LooksUpByInterfaceAndAddress()
    {
        var table = new NeighbourTable(new[]
        {
            new NeighbourEntry(3, IPAddress.Parse("198.18.0.1"), MacA, NeighbourState.Reachable),
            new NeighbourEntry(4, IPAddress.Parse("198.18.0.1"), MacB, NeighbourState.Stale),
            new NeighbourEntry(3, IPAddress.Parse("2001:db8::1"), MacB, NeighbourState.Permanent),
        });
        Assert.True(table.TryGetV4(3, NetworkOrder.AddressV4(IPAddress.Parse("198.18.0.1")), out var mac));
        Assert.Equal(MacA, mac);
        Assert.True(table.TryGet(4, IPAddress.Parse("198.18.0.1"), out mac));
        Assert.Equal(MacB, mac);
        Assert.False(table.TryGet(5, IPAddress.Parse("198.18.0.1"), out _));
        Assert.True(table.TryGetV6(3, NetworkOrder.AddressV6(IPAddress.Parse("2001:db8::1")), out mac));
        Assert.Equal(MacB, mac);
        Assert.False(table.TryGet(3, IPAddress.Parse("2001:db8::2"), out _));
    }

    [Theory]
    [InlineData(NeighbourState.Incomplete, false)]
    [InlineData(NeighbourState.Failed, false)]
    [InlineData(NeighbourState.NoArp, false)]
    [InlineData(NeighbourState.None, false)]
    [InlineData(NeighbourState.Reachable, true)]
    [InlineData(NeighbourState.Stale, true)]
    [InlineData(NeighbourState.Delay, true)]
    [InlineData(NeighbourState.Probe, true)]
    [InlineData(NeighbourState.Permanent, true)]
    public void KeepsOnlyUsableStates(NeighbourState state, bool usable)
    {
        var table = new NeighbourTable(new[] { new NeighbourEntry(2, IPAddress.Parse("198.18.0.9"), MacA, state) });
        Assert.Equal(usable, table.TryGet(2, IPAddress.Parse("198.18.0.9"), out _));
    }

    [Fact]
    public void ManyEntriesAllFound()
    {
        var entries = new List<NeighbourEntry>();
        for (var i = 0; i < 5000; i++)
        {
            entries.Add(new NeighbourEntry(1 + (i % 3), new IPAddress(new byte[] { 198, 18, (byte)(i >> 8), (byte)i }), MacAddress.FromValue(0x0200_0000_0000UL + (ulong)i), NeighbourState.Reachable));
        }
        var table = new NeighbourTable(entries);
        foreach (var entry in entries)
        {
            Assert.True(table.TryGet(entry.KernelInterfaceIndex, entry.Address, out var mac));
            Assert.Equal(entry.Mac, mac);
        }
    }
}
