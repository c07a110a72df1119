using System.Net;
using Xdp.Filter.Policy;

namespace Xdp.Filter.Tests.Policy;

public class PolicyParsingTests
{
    [Fact]
    public void ImportShapeJsonReadsEveryField()
    {
        const string json = """
            [{
              "endpointSelector": {"matchLabels": {"k8s:app": "web"}, "matchExpressions": [{"key": "any:tier", "operator": "NotIn", "values": ["test"]}]},
              "ingress": [{
                "fromEndpoints": [{"matchLabels": {"role": "frontend"}}],
                "fromCIDR": ["198.18.1.0/24", "198.18.2.7"],
                "fromCIDRSet": [{"cidr": "198.19.0.0/16", "except": ["198.19.5.0/24"]}],
                "fromEntities": ["host", "World"],
                "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}, {"port": 8000, "endPort": 8080, "protocol": "udp"}, {"protocol": "ANY"}]}],
                "icmps": [{"fields": [{"type": 8}, {"type": "EchoRequest", "family": "IPv6"}]}]
              }],
              "egressDeny": [{"toCIDR": ["2001:db8:bad::/48"]}],
              "enableDefaultDeny": {"ingress": true, "egress": false}
            }]
            """;
        var rule = Assert.Single(PolicyLoader.Parse(json, "p.json"));

        Assert.Equal([new KeyValuePair<string, string>("app", "web")], rule.EndpointSelector.MatchLabels);
        var requirement = Assert.Single(rule.EndpointSelector.MatchExpressions);
        Assert.Equal(new LabelRequirement("tier", SelectorOperator.NotIn, ["test"]).Key, requirement.Key);
        Assert.Equal(SelectorOperator.NotIn, requirement.Operator);

        var ingress = Assert.Single(rule.Ingress);
        Assert.Equal("p.json: [0].ingress[0]", ingress.Path);
        Assert.Single(ingress.Endpoints);
        Assert.Equal(
            [IPNetwork.Parse("198.18.1.0/24"), IPNetwork.Parse("198.18.2.7/32"), IPNetwork.Parse("198.19.0.0/16")],
            ingress.Cidrs.Select(c => c.Cidr));
        Assert.Equal([IPNetwork.Parse("198.19.5.0/24")], ingress.Cidrs[2].Except);
        Assert.Equal([PolicyEntity.Host, PolicyEntity.World], ingress.Entities);
        Assert.Equal(
            [new PortProtocol(80, 80, L4Protocol.Tcp), new PortProtocol(8000, 8080, L4Protocol.Udp), new PortProtocol(0, 0, L4Protocol.Any)],
            ingress.Ports);
        Assert.Equal([new IcmpField(8, IcmpFamily.IPv4), new IcmpField(128, IcmpFamily.IPv6)], ingress.Icmps);
        Assert.Single(rule.EgressDeny);
        Assert.True(rule.EnableDefaultDenyIngress);
        Assert.False(rule.EnableDefaultDenyEgress);
        Assert.True(rule.DefaultDeny(PolicyDirection.Ingress));
        Assert.False(rule.DefaultDeny(PolicyDirection.Egress));
    }

    [Fact]
    public void KeysAndProtocolsAreCaseInsensitiveAsInCiliumsLoader()
    {
        // The studies' own example capitalises keys ("HTTP"-style); Go's encoding/json matches them anyway.
        const string json = """
            [{"EndpointSelector": {"MatchLabels": {"app": "web"}},
              "Ingress": [{"FromEndpoints": [{"matchlabels": {"role": "fe"}}],
                           "ToPorts": [{"Ports": [{"Port": "443", "Protocol": "tcp"}]}]}]}]
            """;
        var rule = Assert.Single(PolicyLoader.Parse(json, "caps.json"));
        Assert.Equal(new PortProtocol(443, 443, L4Protocol.Tcp), Assert.Single(Assert.Single(rule.Ingress).Ports));
    }

    [Fact]
    public void CiliumNetworkPolicyYamlWithSpec()
    {
        const string yaml = """
            apiVersion: "cilium.io/v2"
            kind: CiliumNetworkPolicy
            metadata:
              name: allow-frontend
              uid: 1234
            spec:
              endpointSelector:
                matchLabels:
                  app: web
              ingress:
              - fromEndpoints:
                - matchLabels:
                    role: frontend
                toPorts:
                - ports:
                  - port: 80
                    protocol: TCP
            """;
        var rule = Assert.Single(PolicyLoader.Parse(yaml, "cnp.yaml"));
        Assert.Equal("cnp.yaml: spec", rule.Source);
        Assert.Equal(new PortProtocol(80, 80, L4Protocol.Tcp), Assert.Single(Assert.Single(rule.Ingress).Ports));
    }

    [Fact]
    public void CiliumNetworkPolicyWithSpecsAndSeveralDocuments()
    {
        const string yaml = """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: a}
            specs:
            - endpointSelector: {matchLabels: {app: a}}
              egress: [{toEntities: [world]}]
            - endpointSelector: {matchLabels: {app: b}}
              ingress: [{}]
            ---
            apiVersion: cilium.io/v2
            kind: CiliumClusterwideNetworkPolicy
            metadata: {name: b}
            spec:
              endpointSelector: {}
              egressDeny: [{toCIDRSet: [{cidr: 198.18.0.0/15, except: [198.18.3.0/24]}]}]
            ---
            """;
        var rules = PolicyLoader.Parse(yaml, "multi.yml");
        Assert.Equal(3, rules.Count);
        Assert.Equal("multi.yml: (document 1) specs[1]", rules[1].Source);
        Assert.True(Assert.Single(rules[1].Ingress).MatchesNothing);
        Assert.True(rules[2].EndpointSelector.IsEmpty);
    }

    [Fact]
    public void KubectlListsAndListsOfDocuments()
    {
        const string list = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: cilium.io/v2
              kind: CiliumNetworkPolicy
              metadata: {name: a, namespace: prod, resourceVersion: "1"}
              spec: {endpointSelector: {matchLabels: {app: a}}, ingress: [{}]}
              status: {}
            - apiVersion: cilium.io/v2
              kind: CiliumNetworkPolicy
              metadata: {name: b}
              spec: {endpointSelector: {}, egress: [{toPorts: [{ports: [{port: "http"}]}]}]}
            """;
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Parse(list, "list.yaml"));
        Assert.Equal("items[1].spec.egress[0].toPorts[0].ports[0].port", Assert.Single(e.Errors).Path);

        const string documents = """
            [{"kind": "CiliumNetworkPolicy", "spec": {"endpointSelector": {}}},
             {"kind": "CiliumNetworkPolicy", "specs": [{"endpointSelector": {}}, {"endpointSelector": {}, "ingress": [{"fromCIDR": ["198.18.0.0/99"]}]}]}]
            """;
        e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Parse(documents, "docs.json"));
        Assert.Equal("[1].specs[1].ingress[0].fromCIDR[0]", Assert.Single(e.Errors).Path);
        Assert.Equal(3, PolicyLoader.Parse(documents.Replace("/99", "/15", StringComparison.Ordinal), "docs.json").Count);
    }

    [Fact]
    public void NamespacedPolicyScopesSubjectsAndPeersToItsNamespace()
    {
        const string yaml = """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: a, namespace: prod}
            spec:
              endpointSelector: {}
              ingress:
              - fromEndpoints:
                - {}
                - matchLabels: {"k8s:io.kubernetes.pod.namespace": dev, app: probe}
            """;
        var rule = Assert.Single(PolicyLoader.Parse(yaml, "ns.yaml"));
        Assert.True(rule.EndpointSelector.Matches(LabelSet.From([new("io.kubernetes.pod.namespace", "prod")])));
        Assert.False(rule.EndpointSelector.Matches(LabelSet.From([new("io.kubernetes.pod.namespace", "dev")])));
        var peers = Assert.Single(rule.Ingress).Endpoints;
        Assert.False(peers[0].Matches(LabelSet.From([new("io.kubernetes.pod.namespace", "dev")])));
        Assert.True(peers[0].Matches(LabelSet.From([new("io.kubernetes.pod.namespace", "prod")])));
        Assert.True(peers[1].Matches(LabelSet.From([new("io.kubernetes.pod.namespace", "dev"), new("app", "probe")])));
    }

    [Fact]
    public void YamlPlainScalarsForPortsAndBooleans()
    {
        const string yaml = """
            - endpointSelector: {}
              enableDefaultDeny: {egress: false}
              egress:
              - toPorts: [{ports: [{port: 53, protocol: UDP}, {port: "1024", endPort: 2047}]}]
            """;
        var rule = Assert.Single(PolicyLoader.Parse(yaml, "plain.yaml"));
        Assert.False(rule.EnableDefaultDenyEgress);
        Assert.Equal([new PortProtocol(53, 53, L4Protocol.Udp), new PortProtocol(1024, 2047, L4Protocol.Any)], Assert.Single(rule.Egress).Ports);
    }

    [Fact]
    public void EmptySectionsDoNotCountAsSections()
    {
        // Cilium's Rule reference: "If omitted or empty, this rule does not apply at ingress."
        var rule = Assert.Single(PolicyLoader.Parse("""[{"endpointSelector": {}, "ingress": [], "egress": null}]""", "e.json"));
        Assert.False(rule.HasIngress);
        Assert.False(rule.DefaultDeny(PolicyDirection.Ingress));
        Assert.False(rule.DefaultDeny(PolicyDirection.Egress));
    }

    [Fact]
    public void ExamplePoliciesLoad()
    {
        var directory = Path.Combine(RepoRoot(), "examples", "policies");
        var rules = PolicyLoader.LoadDirectory(directory);
        // Every example file contributes its rules (the directory grows as examples are added).
        var files = Directory.GetFiles(directory).Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal)).ToList();
        Assert.Equal(files.Sum(f => PolicyLoader.LoadFile(f).Count), rules.Count);
        foreach (var f in files) Assert.Contains(rules, r => r.Source.Contains(Path.GetFileName(f), StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Source.EndsWith("web-l4.json: [0]", StringComparison.Ordinal));
    }

    [Fact]
    public void LoadAcceptsFilePatterns()
    {
        var directory = Path.Combine(RepoRoot(), "examples", "policies");
        var rules = PolicyLoader.Load([Path.Combine(directory, "*.yaml")]);
        var yaml = Directory.GetFiles(directory, "*.yaml");
        Assert.NotEmpty(yaml);
        Assert.Equal(yaml.Sum(f => PolicyLoader.LoadFile(f).Count), rules.Count);
        Assert.All(rules, r => Assert.Contains(".yaml", r.Source, StringComparison.Ordinal));
    }

    internal static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string thisFile = "")
    {
        var dir = Path.GetDirectoryName(thisFile);
        while (dir is not null && !File.Exists(Path.Combine(dir, "XdpNet.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
