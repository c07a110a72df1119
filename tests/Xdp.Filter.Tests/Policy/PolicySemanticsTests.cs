using Xdp.Filter.Policy;
using static Xdp.Filter.Policy.PolicyVerdict;
using static Xdp.Filter.Tests.Policy.PolicyFixture;

namespace Xdp.Filter.Tests.Policy;

/// <summary>
/// Cilium's documented semantics, each case checked on the compiled map and the reference evaluator
/// (docs.cilium.io: Policy Enforcement Modes, Layer 3, Layer 4, Deny Policies).
/// </summary>
public class PolicySemanticsTests
{
    [Fact]
    public void WithoutPolicyEverythingIsAllowedByDefault()
    {
        var p = new PolicyFixture("[]", "empty.json");
        Assert.Equal(DefaultAllow, p.In(Web, "198.19.9.9", Proto.Tcp, 80));
        Assert.Equal(DefaultAllow, p.Out(Db, "2001:db8:1::1", Proto.Udp, 53));
    }

    [Fact]
    public void LabelBasedIngressAllowsOnlySelectedPeersAndOnlyThatDirectionIsDefaultDeny()
    {
        // | 198.18.0.11 (role=frontend) -> web | any protocol |
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress:
              - fromEndpoints: [{matchLabels: {role: frontend}}]
            """);
        Assert.Equal(Allow, p.In(Web, "198.18.0.11", Proto.Tcp, 80));
        Assert.Equal(Allow, p.In(Web, "198.18.1.5", Proto.Gre, 0)); // remote endpoint, same labels
        Assert.Equal(DefaultDeny, p.In(Web, "2001:db8::20", Proto.Tcp, 80)); // db
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Tcp, 80)); // world
        Assert.Equal(DefaultAllow, p.Out(Web, "198.19.9.9", Proto.Tcp, 80)); // no egress section
        Assert.Equal(DefaultAllow, p.In(Db, "198.19.9.9", Proto.Tcp, 80)); // not selected
    }

    [Fact]
    public void L4OnlyRuleAppliesToEveryPeerAndBlocksOtherProtocolsIncludingIcmp()
    {
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress:
              - toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            """);
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Tcp, 80));
        Assert.Equal(Allow, p.In(Web, "198.18.0.1", Proto.Tcp, 80)); // host
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Udp, 80));
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Tcp, 81));
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Icmp, 8));
    }

    [Fact]
    public void EndPortRangesIncludeBothEnds()
    {
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress:
              - toPorts: [{ports: [{port: "8000", endPort: 8080, protocol: TCP}, {port: "1", endPort: 1023, protocol: UDP}]}]
            """);
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Tcp, 7999));
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Tcp, 8000));
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Tcp, 8042));
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Tcp, 8080));
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Tcp, 8081));
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Udp, 0));
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Udp, 1));
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Udp, 1023));
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Udp, 1024));
    }

    [Fact]
    public void AnyProtocolIsTcpUdpAndSctpButNotIcmp()
    {
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress:
              - toPorts: [{ports: [{port: "5000"}]}]
            """);
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Tcp, 5000));
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Udp, 5000));
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Sctp, 5000));
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Icmp, 0));
    }

    [Fact]
    public void IcmpTypesPerFamily()
    {
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress:
              - icmps: [{fields: [{type: 8, family: IPv4}, {type: EchoRequest, family: IPv6}]}]
            """);
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Icmp, 8));
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Icmp, 13));
        Assert.Equal(Allow, p.In(Web, "2001:db8:9::9", Proto.Icmpv6, 128));
        Assert.Equal(DefaultDeny, p.In(Web, "2001:db8:9::9", Proto.Icmpv6, 8));
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Tcp, 8));
    }

    [Fact]
    public void CidrSetWithExceptSelectsOutsidePeersOnly()
    {
        // | 198.19.4.1 -> web: inside, 198.19.5.1: excepted, 198.18.0.11: an endpoint inside 198.18.0.0/16 |
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress:
              - fromCIDRSet: [{cidr: 198.19.0.0/16, except: [198.19.5.0/24]}]
              - fromCIDR: [198.18.0.0/16, "2001:db8:a::/48"]
                toPorts: [{ports: [{port: "22", protocol: TCP}]}]
            """);
        Assert.Equal(Allow, p.In(Web, "198.19.4.1", Proto.Tcp, 443));
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.5.1", Proto.Tcp, 443));
        Assert.Equal(Allow, p.In(Web, "198.19.6.1", Proto.Udp, 9));
        Assert.Equal(DefaultDeny, p.In(Web, "198.20.0.1", Proto.Tcp, 443));
        Assert.Equal(Allow, p.In(Web, "198.18.7.7", Proto.Tcp, 22));
        Assert.Equal(DefaultDeny, p.In(Web, "198.18.0.11", Proto.Tcp, 22)); // endpoint: CIDR rules do not select it
        Assert.Equal(DefaultDeny, p.In(Web, "198.18.0.1", Proto.Tcp, 22)); // host
        Assert.Equal(Allow, p.In(Web, "2001:db8:a:1::7", Proto.Tcp, 22));
        Assert.Equal(DefaultDeny, p.In(Web, "2001:db8:b::7", Proto.Tcp, 22));
    }

    [Fact]
    public void DenyWinsOverAllowAsInCiliumsDenyTable()
    {
        // Deny Policies, second column: allow L3 from the client, L4 80 and 81; deny L4 80 -> 81 and ping pass, 80 does not.
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress:
              - fromEndpoints: [{matchLabels: {role: frontend}}]
              - toPorts: [{ports: [{port: "80", protocol: TCP}, {port: "81", protocol: TCP}]}]
              ingressDeny:
              - toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            """);
        Assert.Equal(Allow, p.In(Web, "198.18.0.11", Proto.Tcp, 81));
        Assert.Equal(Deny, p.In(Web, "198.18.0.11", Proto.Tcp, 80));
        Assert.Equal(Allow, p.In(Web, "198.18.0.11", Proto.Icmp, 8));
        Assert.Equal(Deny, p.In(Web, "198.19.9.9", Proto.Tcp, 80));
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Tcp, 81));
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Icmp, 8));
    }

    [Fact]
    public void DenyFromOneRuleWinsOverAllowOfAnother()
    {
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress: [{fromEntities: [all]}]
            - endpointSelector: {}
              ingressDeny: [{fromEndpoints: [{matchLabels: {role: frontend}}], toPorts: [{ports: [{port: "1024", endPort: 65535}]}]}]
            """);
        Assert.Equal(Deny, p.In(Web, "198.18.0.11", Proto.Tcp, 40000));
        Assert.Equal(Allow, p.In(Web, "198.18.0.11", Proto.Tcp, 1023));
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Tcp, 40000));
        Assert.Equal(Deny, p.In(Db, "198.18.1.5", Proto.Udp, 5353));
        Assert.Equal(DefaultDeny, p.In(Db, "198.19.9.9", Proto.Udp, 5353)); // deny-only rule still selects db into default deny
    }

    [Fact]
    public void IngressWithOneEmptyRuleDeniesAllIngressOnly()
    {
        var p = new PolicyFixture(File.ReadAllText(Path.Combine(PolicyParsingTests.RepoRoot(), "examples", "policies", "deny-all-ingress.yaml"))
            .Replace("quarantine: \"true\"", "app: web", StringComparison.Ordinal));
        Assert.Equal(DefaultDeny, p.In(Web, "198.18.0.11", Proto.Tcp, 80));
        Assert.Equal(DefaultDeny, p.In(Web, "198.18.0.1", Proto.Icmp, 8));
        Assert.Equal(DefaultDeny, p.In(Web, "2001:db8:9::9", Proto.Udp, 53));
        Assert.Equal(DefaultAllow, p.Out(Web, "198.19.9.9", Proto.Tcp, 443));
        Assert.Equal(DefaultAllow, p.In(Frontend, "198.18.0.10", Proto.Tcp, 80));
    }

    [Fact]
    public void EnableDefaultDenyFalseKeepsUnmatchedTrafficAllowed()
    {
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              enableDefaultDeny: {ingress: false}
              ingress: [{fromEndpoints: [{matchLabels: {role: frontend}}], toPorts: [{ports: [{port: "80", protocol: TCP}]}]}]
              ingressDeny: [{fromCIDR: [198.19.66.0/24]}]
            """);
        Assert.Equal(Allow, p.In(Web, "198.18.0.11", Proto.Tcp, 80));
        Assert.Equal(DefaultAllow, p.In(Web, "198.19.9.9", Proto.Tcp, 22));
        Assert.Equal(Deny, p.In(Web, "198.19.66.6", Proto.Tcp, 80));
    }

    [Fact]
    public void AnyRuleAskingForDefaultDenyWins()
    {
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              enableDefaultDeny: {ingress: false}
              ingress: [{toPorts: [{ports: [{port: "80", protocol: TCP}]}]}]
            - endpointSelector: {matchLabels: {app: web}}
              ingress: [{toPorts: [{ports: [{port: "443", protocol: TCP}]}]}]
            """);
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Tcp, 80));
        Assert.Equal(Allow, p.In(Web, "198.19.9.9", Proto.Tcp, 443));
        Assert.Equal(DefaultDeny, p.In(Web, "198.19.9.9", Proto.Tcp, 22));
    }

    [Fact]
    public void EgressToEndpointsAndCidrs()
    {
        var p = new PolicyFixture(File.ReadAllText(Path.Combine(PolicyParsingTests.RepoRoot(), "examples", "policies", "db-egress.yaml")));
        Assert.Equal(Allow, p.Out(Db, "2001:db8::20", Proto.Tcp, 5432)); // to itself (app=db)
        Assert.Equal(DefaultDeny, p.Out(Db, "2001:db8::20", Proto.Tcp, 5433));
        Assert.Equal(Allow, p.Out(Db, "2001:db8:5::5", Proto.Udp, 873));
        Assert.Equal(Deny, p.Out(Db, "2001:db8:bad::5", Proto.Udp, 873));
        Assert.Equal(DefaultDeny, p.Out(Db, "198.19.0.1", Proto.Tcp, 873));
        Assert.Equal(Allow, p.In(Db, "2001:db8::20", Proto.Gre, 0)); // from app=db, every protocol
        Assert.Equal(DefaultDeny, p.In(Db, "198.18.0.11", Proto.Gre, 0)); // frontend is not role=backend
        Assert.Equal(DefaultDeny, p.In(Db, "198.18.0.11", Proto.Tcp, 5432));
    }

    [Fact]
    public void EntitiesSelectHostWorldClusterAndAll()
    {
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress:
              - fromEntities: [host]
                toPorts: [{ports: [{port: "1", protocol: TCP}]}]
              - fromEntities: [world]
                toPorts: [{ports: [{port: "2", protocol: TCP}]}]
              - fromEntities: [cluster]
                toPorts: [{ports: [{port: "3", protocol: TCP}]}]
              - fromEntities: [all]
                toPorts: [{ports: [{port: "4", protocol: TCP}]}]
              - fromCIDR: [198.19.0.0/16]
                toPorts: [{ports: [{port: "5", protocol: TCP}]}]
            """);
        foreach (var (peer, allowed) in new[] { ("198.18.0.1", new[] { 1, 3, 4 }), ("198.19.1.1", [2, 4, 5]), ("198.20.1.1", [2, 4]), ("198.18.0.11", [3, 4]), ("2001:db8::1", [1, 3, 4]) })
            for (ushort port = 1; port <= 5; port++)
                Assert.Equal(allowed.Contains(port) ? Allow : DefaultDeny, p.In(Web, peer, Proto.Tcp, port));
    }

    [Fact]
    public void ReservedLabelsCanBeSelected()
    {
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress: [{fromEndpoints: [{matchLabels: {"reserved:host": ""}}]}]
            """);
        Assert.Equal(Allow, p.In(Web, "198.18.0.1", Proto.Tcp, 22));
        Assert.Equal(DefaultDeny, p.In(Web, "198.18.0.11", Proto.Tcp, 22));
    }

    [Fact]
    public void EmptyPeerSelectorSelectsEveryPeerButNamespacedOnesStayInTheirNamespace()
    {
        var cluster = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress: [{fromEndpoints: [{}]}]
            """);
        Assert.Equal(Allow, cluster.In(Web, "198.19.9.9", Proto.Tcp, 80));

        var namespaced = new PolicyFixture("""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: same-namespace, namespace: prod}
            spec:
              endpointSelector: {matchLabels: {app: web}}
              ingress: [{fromEndpoints: [{}]}]
            """);
        Assert.Equal(Allow, namespaced.In(Web, "198.18.0.11", Proto.Tcp, 80));
        Assert.Equal(DefaultDeny, namespaced.In(Web, "198.19.9.9", Proto.Tcp, 80));

        var otherNamespace = new PolicyFixture("""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: elsewhere, namespace: dev}
            spec:
              endpointSelector: {}
              ingress: [{}]
            """);
        Assert.Equal(DefaultAllow, otherNamespace.In(Web, "198.18.0.11", Proto.Tcp, 80));
    }

    [Fact]
    public void EndpointsWithoutASliceFailClosed()
    {
        var p = new PolicyFixture("[]", "empty.json");
        var map = p.Compiled.Map;
        Assert.Equal(new PolicyDecision(DefaultDeny, PolicyMap.NoSliceEntry).Verdict, map.Lookup(RemoteFrontend, PolicyDirection.Ingress, SecurityIdentity.World, Proto.Tcp, 80).Verdict);
        Assert.Equal(PolicyMap.NoSliceEntry, map.Lookup(99, PolicyDirection.Egress, SecurityIdentity.World, Proto.Tcp, 80).Entry);
        Assert.Equal(DefaultDeny, map.Lookup(-1, PolicyDirection.Egress, SecurityIdentity.World, Proto.Tcp, 80).Verdict);
        Assert.False(default(PolicyDecision).Allowed);
    }

    [Fact]
    public void EndpointsWithTheSameLabelsShareASlice()
    {
        var p = new PolicyFixture("""
            - endpointSelector: {matchLabels: {app: web}}
              ingress: [{toPorts: [{ports: [{port: "80", protocol: TCP}]}]}]
            """);
        Assert.Equal(6, p.Compiled.Map.SliceCount); // 3 local label sets x 2 directions
    }
}
