using System.Net;
using Xdp.Filter.Policy;
using Xdp.Runtime.Wire;

namespace Xdp.Filter.Tests.Policy;

public class PolicyMapAllocationTests
{
    [Fact]
    public void IdentityAndMapLookupsAllocateNothing()
    {
        var p = new PolicyFixture(File.ReadAllText(Path.Combine(PolicyParsingTests.RepoRoot(), "examples", "policies", "web-l4.json")), "web-l4.json");
        var identities = p.Compiled.Identities;
        var map = p.Compiled.Map;
        var counters = map.CreateCounters();
        var frontend = NetworkOrder.AddressV4(PolicyFixture.FrontendAddress);
        var world = NetworkOrder.AddressV6(IPAddress.Parse("2001:db8:77::1"));

        long allowed = 0;
        void Run()
        {
            for (var i = 0; i < 1000; i++)
            {
                var d1 = map.Lookup(PolicyFixture.Web, PolicyDirection.Ingress, identities.LookupV4(frontend), 6, (ushort)(78 + (i & 3)));
                var d2 = map.Lookup(PolicyFixture.Web, PolicyDirection.Ingress, identities.LookupV6(world), 58, 128);
                var d3 = map.Lookup(PolicyFixture.Db, PolicyDirection.Egress, SecurityIdentity.World, 17, 53);
                counters.Count(d1, 64);
                counters.Count(d2, 64);
                counters.Count(d3, 64);
                if (d1.Allowed) allowed++;
            }
        }

        Run(); // JIT and tiering
        var before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        var after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
        Assert.Equal(500, allowed); // of ports 78-81 only 80 is allowed: a quarter of 2 x 1000
        Assert.Equal(6000, counters.Packets.Sum());
    }

    [Fact]
    public void CountersAreKeptPerEntry()
    {
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress: [{toPorts: [{ports: [{port: "80", protocol: TCP}]}]}]
            """);
        var map = p.Compiled.Map;
        var counters = map.CreateCounters();
        var allow = map.Lookup(PolicyFixture.Web, PolicyDirection.Ingress, SecurityIdentity.World, 6, 80);
        var deny = map.Lookup(PolicyFixture.Web, PolicyDirection.Ingress, SecurityIdentity.World, 6, 81);
        Assert.NotEqual(allow.Entry, deny.Entry);
        counters.Count(allow, 100);
        counters.Count(allow, 50);
        counters.Count(deny, 60);
        Assert.Equal(2, counters.Packets[allow.Entry]);
        Assert.Equal(150, counters.Bytes[allow.Entry]);
        Assert.Equal(1, counters.Packets[deny.Entry]);
        Assert.True(map.Entries[deny.Entry].IsDefault);
        Assert.Equal(PolicyVerdict.Allow, map.Entries[allow.Entry].Verdict);
        Assert.Equal((byte)6, map.Entries[allow.Entry].Protocol);
        Assert.Equal(16, map.Entries[allow.Entry].PortPrefixLength);
    }
}
