using System.Net;
using Xdp.Filter.Policy;
using Xdp.Runtime.Wire;

namespace Xdp.Filter.Tests.Policy;

public class IdentityTableTests
{
    private static readonly IReadOnlyList<PolicyRule> CidrRules = PolicyLoader.Parse("""
        - endpointSelector: {}
          ingress:
          - fromCIDRSet: [{cidr: 198.18.0.0/15, except: [198.18.64.0/18]}]
          - fromCIDR: ["2001:db8::/32", 198.19.1.0/24]
        """, "cidr.yaml");

    [Fact]
    public void SameLabelSetSameIdentityAndReservedNumbers()
    {
        var table = IdentityTable.Build(PolicyFixture.Endpoints, PolicyFixture.HostAddresses, []);
        Assert.Equal(table.EndpointIdentities[PolicyFixture.Frontend], table.EndpointIdentities[PolicyFixture.RemoteFrontend]);
        Assert.NotEqual(table.EndpointIdentities[PolicyFixture.Web], table.EndpointIdentities[PolicyFixture.Frontend]);
        Assert.All(table.EndpointIdentities, id => Assert.InRange(id, SecurityIdentity.FirstEndpoint, SecurityIdentity.FirstCidr - 1));
        Assert.Equal(SecurityIdentity.Host, table.Lookup(PolicyFixture.HostV4));
        Assert.Equal(SecurityIdentity.Host, table.Lookup(PolicyFixture.HostV6));
        Assert.Equal(SecurityIdentity.World, table.Lookup(IPAddress.Parse("198.19.200.1")));
        Assert.Equal(table.EndpointIdentities[PolicyFixture.Db], table.Lookup(PolicyFixture.DbAddress));
    }

    [Fact]
    public void AllocatorKeepsNumbersAcrossRebuilds()
    {
        var allocator = new IdentityAllocator();
        var first = IdentityTable.Build(PolicyFixture.Endpoints, [], CidrRules, allocator);
        // A reload with a new endpoint in front and the old ones reordered: old label sets keep their numbers.
        var reordered = new List<PolicyEndpoint>
        {
            new(IPAddress.Parse("198.18.9.9"), new Dictionary<string, string> { ["app"] = "new" }),
        };
        reordered.AddRange(PolicyFixture.Endpoints.Reverse());
        var second = IdentityTable.Build(reordered, [], CidrRules, allocator);
        foreach (var endpoint in PolicyFixture.Endpoints)
            Assert.Equal(first.Lookup(endpoint.Address), second.Lookup(endpoint.Address));
        Assert.Equal(first.Lookup(IPAddress.Parse("198.19.1.1")), second.Lookup(IPAddress.Parse("198.19.1.1")));

        // A fresh allocator on the same input numbers alike (deterministic order).
        var fresh = IdentityTable.Build(PolicyFixture.Endpoints, [], CidrRules);
        Assert.Equal(first.Identities.Select(i => i.Id), fresh.Identities.Select(i => i.Id));
    }

    [Fact]
    public void LongestKnownPrefixGivesTheIdentity()
    {
        var table = IdentityTable.Build(PolicyFixture.Endpoints, PolicyFixture.HostAddresses, CidrRules);
        uint Cidr(string prefix) => table.Identities.Single(i => i.Cidr is { } c && c.Equals(IPNetwork.Parse(prefix))).Id;

        Assert.Equal(Cidr("198.18.0.0/15"), table.Lookup(IPAddress.Parse("198.18.200.1")));
        Assert.Equal(Cidr("198.18.64.0/18"), table.Lookup(IPAddress.Parse("198.18.65.1")));
        Assert.Equal(Cidr("198.19.1.0/24"), table.Lookup(IPAddress.Parse("198.19.1.77")));
        Assert.Equal(Cidr("2001:db8::/32"), table.Lookup(IPAddress.Parse("2001:db8:ffff::1")));
        // Endpoints and the host inside a policy CIDR keep their own identities.
        Assert.Equal(table.EndpointIdentities[PolicyFixture.Web], table.Lookup(PolicyFixture.WebAddress));
        Assert.Equal(SecurityIdentity.Host, table.Lookup(PolicyFixture.HostV6));
        Assert.Equal(SecurityIdentity.World, table.Lookup(IPAddress.Parse("198.20.0.1")));
        Assert.All(table.Identities.Where(i => i.Kind == IdentityKind.Cidr), i => Assert.True(i.Id >= SecurityIdentity.FirstCidr));
    }

    [Fact]
    public void WireFormLookupsMatchAddressLookups()
    {
        var table = IdentityTable.Build(PolicyFixture.Endpoints, PolicyFixture.HostAddresses, CidrRules);
        var v4 = IPAddress.Parse("198.19.1.9");
        Assert.Equal(table.Lookup(v4), table.LookupV4(NetworkOrder.AddressV4(v4)));
        var v6 = IPAddress.Parse("2001:db8::20");
        Assert.Equal(table.Lookup(v6), table.LookupV6(v6.GetAddressBytes()));
        Assert.Equal(table.Lookup(v6), table.LookupV6(NetworkOrder.AddressV6(v6)));
    }

    [Fact]
    public void OneLookupGivesIdentityAndEndpointIndex()
    {
        var table = IdentityTable.Build(PolicyFixture.Endpoints, PolicyFixture.HostAddresses, CidrRules);
        for (var i = 0; i < PolicyFixture.Endpoints.Count; i++)
        {
            var address = PolicyFixture.Endpoints[i].Address;
            var identity = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                ? table.LookupV4(NetworkOrder.AddressV4(address), out var endpoint)
                : table.LookupV6(NetworkOrder.AddressV6(address), out endpoint);
            Assert.Equal(i, endpoint);
            Assert.Equal(table.EndpointIdentities[i], identity);
        }
        Assert.Equal(SecurityIdentity.Host, table.LookupV4(NetworkOrder.AddressV4(PolicyFixture.HostV4), out var host));
        Assert.Equal(-1, host);
        table.LookupV4(NetworkOrder.AddressV4(IPAddress.Parse("198.18.0.12")), out var cidr); // inside 198.18.0.0/15, no endpoint
        Assert.Equal(-1, cidr);
        Assert.Equal(SecurityIdentity.World, table.LookupV6(NetworkOrder.AddressV6(IPAddress.Parse("2001:db9::1")), out var world));
        Assert.Equal(-1, world);
    }

    [Fact]
    public void DuplicateAddressesAreRefused()
    {
        var endpoints = new List<PolicyEndpoint>(PolicyFixture.Endpoints) { new(PolicyFixture.WebAddress, new Dictionary<string, string> { ["app"] = "x" }) };
        var e = Assert.Throws<ArgumentException>(() => IdentityTable.Build(endpoints, [], []));
        Assert.Contains("198.18.0.10", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => IdentityTable.Build(PolicyFixture.Endpoints, [PolicyFixture.WebAddress], []));
    }
}
