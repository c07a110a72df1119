using System.Globalization;
using System.Net;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Wire;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Routing;

/// <summary>
/// The rtnetlink neighbour reader and resolution request against a real kernel, in namespaces of their own:
/// | a: nbA 198.18.9.1/24, 2001:db8:9::1/64 | == veth == | b: nbB 198.18.9.2/24, 2001:db8:9::2/64 |.
/// </summary>
public sealed class NeighbourResolverTests
{
    private static int IfIndex(NetNs ns, string device) =>
        int.Parse(ns.ExecChecked("cat", $"/sys/class/net/{device}/ifindex").StdOut.Trim(), CultureInfo.InvariantCulture);

    private static MacAddress Mac(NetNs ns, string device) => MacAddress.Parse(ns.ExecChecked("cat", $"/sys/class/net/{device}/address").StdOut.Trim());

    [RootFact]
    public void ReadsPermanentEntriesOfBothFamilies()
    {
        using var a = NetNs.Create("neigh");
        using var b = NetNs.Create("neigh");
        var deviceA = UniqueName.Interface("nbA");
        var deviceB = UniqueName.Interface("nbB");
        a.AddVeth(deviceA, b, deviceB);
        a.ExecChecked("ip", "neigh", "add", "198.18.9.77", "lladdr", "02:00:00:00:09:77", "dev", deviceA, "nud", "permanent");
        a.ExecChecked("ip", "-6", "neigh", "add", "2001:db8:9::77", "lladdr", "02:00:00:00:09:78", "dev", deviceA, "nud", "permanent");
        var ifIndex = IfIndex(a, deviceA);

        using var resolver = NeighbourResolver.Open(a.Name);
        var entries = resolver.ReadEntries();
        Assert.Contains(new NeighbourEntry(ifIndex, IPAddress.Parse("198.18.9.77"), MacAddress.Parse("02:00:00:00:09:77"), NeighbourState.Permanent), entries);
        Assert.Contains(new NeighbourEntry(ifIndex, IPAddress.Parse("2001:db8:9::77"), MacAddress.Parse("02:00:00:00:09:78"), NeighbourState.Permanent), entries);

        var table = resolver.ReadTable();
        Assert.True(table.TryGet(ifIndex, IPAddress.Parse("198.18.9.77"), out var mac));
        Assert.Equal(MacAddress.Parse("02:00:00:00:09:77"), mac);
        Assert.True(table.TryGetV6(ifIndex, NetworkOrder.AddressV6(IPAddress.Parse("2001:db8:9::77")), out mac));
        Assert.Equal(MacAddress.Parse("02:00:00:00:09:78"), mac);

        // The test process's own namespace does not see them: the socket is bound to the namespace it was opened in.
        using var here = NeighbourResolver.Open();
        Assert.DoesNotContain(here.ReadEntries(), e => e.Address.Equals(IPAddress.Parse("198.18.9.77")) && e.Mac == MacAddress.Parse("02:00:00:00:09:77"));
    }

    [RootFact]
    public void RequestResolutionMakesTheKernelResolveANextHop()
    {
        using var a = NetNs.Create("neigh");
        using var b = NetNs.Create("neigh");
        var deviceA = UniqueName.Interface("nbA");
        var deviceB = UniqueName.Interface("nbB");
        a.AddVeth(deviceA, b, deviceB);
        a.AddAddress(deviceA, "198.18.9.1/24");
        b.AddAddress(deviceB, "198.18.9.2/24");
        a.AddAddress(deviceA, "2001:db8:9::1/64");
        b.AddAddress(deviceB, "2001:db8:9::2/64");
        var ifIndex = IfIndex(a, deviceA);
        var expected = Mac(b, deviceB);

        using var resolver = NeighbourResolver.Open(a.Name);
        var v4 = IPAddress.Parse("198.18.9.2");
        var v6 = IPAddress.Parse("2001:db8:9::2");
        Assert.False(resolver.ReadTable().TryGet(ifIndex, v4, out _));

        resolver.RequestResolution(ifIndex, v4);
        resolver.RequestResolution(ifIndex, v6);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        MacAddress mac4 = default, mac6 = default;
        var found4 = false;
        var found6 = false;
        while (DateTime.UtcNow < deadline && !(found4 && found6))
        {
            Thread.Sleep(50);
            var table = resolver.ReadTable();
            found4 = table.TryGet(ifIndex, v4, out mac4);
            found6 = table.TryGet(ifIndex, v6, out mac6);
        }
        Assert.True(found4, "198.18.9.2 was not resolved");
        Assert.True(found6, "2001:db8:9::2 was not resolved");
        Assert.Equal(expected, mac4);
        Assert.Equal(expected, mac6);

        // A second request for a resolved entry is accepted too (the refresher repeats them).
        resolver.RequestResolution(ifIndex, v4);
    }

    [RootFact]
    public void RequestResolutionOnAMissingInterfaceFailsNamingIt()
    {
        using var a = NetNs.Create("neigh");
        using var resolver = NeighbourResolver.Open(a.Name);
        var error = Assert.Throws<IOException>(() => resolver.RequestResolution(9999, IPAddress.Parse("198.18.9.2")));
        Assert.Contains("9999", error.Message, StringComparison.Ordinal);
    }
}
