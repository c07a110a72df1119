using Xdp.Filter.Policy;

namespace Xdp.Filter.Tests.Policy;

public class PolicyRefusalTests
{
    private const string Sel = "\"endpointSelector\": {}";

    [Theory]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"toPorts\": [{\"ports\": [{\"port\": \"80\"}], \"rules\": {\"http\": [{\"method\": \"GET\"}]}}]}]}]",
        "[0].ingress[0].toPorts[0].rules", "L7 rules (http) are refused: the XdpNet data plane enforces L3/L4 only")]
    [InlineData("[{" + Sel + ", \"egress\": [{\"toPorts\": [{\"ports\": [{\"port\": \"53\"}], \"rules\": {\"dns\": [{\"matchPattern\": \"*\"}]}}]}]}]",
        "[0].egress[0].toPorts[0].rules", "L7 rules (dns) are refused")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"toPorts\": [{\"ports\": [{\"port\": \"9092\"}], \"rules\": {\"kafka\": [{\"topic\": \"t\"}]}}]}]}]",
        "[0].ingress[0].toPorts[0].rules", "L7 rules (kafka) are refused")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"toPorts\": [{\"ports\": [{\"port\": \"443\"}], \"terminatingTLS\": {}}]}]}]",
        "[0].ingress[0].toPorts[0].terminatingTLS", "L3/L4 only")]
    [InlineData("[{" + Sel + ", \"egress\": [{\"toFQDNs\": [{\"matchName\": \"example.org\"}]}]}]",
        "[0].egress[0].toFQDNs", "L3/L4 only")]
    [InlineData("[{" + Sel + ", \"ingress\": [{}, {\"toPorts\": [{\"ports\": [{\"port\": \"http\"}]}]}]}]",
        "[0].ingress[1].toPorts[0].ports[0].port", "named port 'http' is not supported")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"toPorts\": [{\"ports\": [{\"port\": \"70000\"}]}]}]}]",
        "[0].ingress[0].toPorts[0].ports[0].port", "port 70000 is outside 0-65535")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"toPorts\": [{\"ports\": [{\"port\": \"-1\"}]}]}]}]",
        "[0].ingress[0].toPorts[0].ports[0].port", "'-1' is not a port number")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"toPorts\": [{\"ports\": [{\"port\": \"90\", \"endPort\": 80}]}]}]}]",
        "[0].ingress[0].toPorts[0].ports[0].endPort", "endPort 80 is below port 90")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"toPorts\": [{\"ports\": [{\"endPort\": 80}]}]}]}]",
        "[0].ingress[0].toPorts[0].ports[0].endPort", "endPort needs a non-zero port")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"toPorts\": [{\"ports\": [{\"port\": \"80\", \"protocol\": \"GRE\"}]}]}]}]",
        "[0].ingress[0].toPorts[0].ports[0].protocol", "protocol 'GRE' is not one of")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"toPorts\": [{\"ports\": [{\"port\": \"8\", \"protocol\": \"ICMP\"}]}]}]}]",
        "[0].ingress[0].toPorts[0].ports[0].port", "ICMP has no ports")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"toPorts\": [{}]}]}]",
        "[0].ingress[0].toPorts[0]", "a toPorts entry needs ports")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"icmps\": [{\"fields\": [{\"type\": 300}]}]}]}]",
        "[0].ingress[0].icmps[0].fields[0].type", "ICMP type 300 is outside 0-255")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"icmps\": [{\"fields\": [{\"type\": \"Nope\", \"family\": \"IPv6\"}]}]}]}]",
        "[0].ingress[0].icmps[0].fields[0].type", "'Nope' is not an ICMPv6 type")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"icmps\": [{\"fields\": [{\"type\": 8, \"family\": \"IPv5\"}]}]}]}]",
        "[0].ingress[0].icmps[0].fields[0].family", "family 'IPv5' is not IPv4 or IPv6")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"fromCIDR\": [\"198.18.0.0/33\"]}]}]",
        "[0].ingress[0].fromCIDR[0]", "prefix length outside 0-32")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"fromCIDR\": [\"not-an-address\"]}]}]",
        "[0].ingress[0].fromCIDR[0]", "'not-an-address' is not a CIDR")]
    [InlineData("[{" + Sel + ", \"egress\": [{\"toCIDRSet\": [{\"cidr\": \"198.18.0.0/16\", \"except\": [\"198.19.0.0/24\"]}]}]}]",
        "[0].egress[0].toCIDRSet[0].except[0]", "except 198.19.0.0/24 is not inside cidr 198.18.0.0/16")]
    [InlineData("[{" + Sel + ", \"egress\": [{\"toCIDRSet\": [{\"cidrGroupRef\": \"g\"}]}]}]",
        "[0].egress[0].toCIDRSet[0].cidrGroupRef", "CiliumCIDRGroup references are not supported")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"fromEndpoints\": [{\"matchExpressions\": [{\"key\": \"app\", \"operator\": \"Like\", \"values\": [\"a\"]}]}]}]}]",
        "[0].ingress[0].fromEndpoints[0].matchExpressions[0].operator", "operator 'Like' is not one of In, NotIn, Exists, DoesNotExist")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"fromEndpoints\": [{\"matchExpressions\": [{\"key\": \"app\", \"operator\": \"In\"}]}]}]}]",
        "[0].ingress[0].fromEndpoints[0].matchExpressions[0]", "operator In needs at least one value")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"fromEndpoints\": [{\"matchExpressions\": [{\"key\": \"app\", \"operator\": \"Exists\", \"values\": [\"x\"]}]}]}]}]",
        "[0].ingress[0].fromEndpoints[0].matchExpressions[0].values", "operator Exists takes no values")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"fromEntities\": [\"kube-apiserver\"]}]}]",
        "[0].ingress[0].fromEntities[0]", "entity 'kube-apiserver' is not supported")]
    [InlineData("[{" + Sel + ", \"ingress\": [{\"toEndpoints\": [{}]}]}]",
        "[0].ingress[0].toEndpoints", "toEndpoints belongs to egress rules")]
    [InlineData("[{" + Sel + ", \"ingres\": [{}]}]",
        "[0].ingres", "unknown key 'ingres' in rule")]
    [InlineData("[{" + Sel + ", \"ingress\": [{}], \"Ingress\": [{}]}]",
        "[0].Ingress", "ingress given twice (keys are matched ignoring case)")]
    [InlineData("[{\"ingress\": [{}]}]",
        "[0]", "endpointSelector is required")]
    [InlineData("[{\"endpointSelector\": null, \"ingress\": [{}]}]",
        "[0]", "endpointSelector is required")]
    [InlineData("[{" + Sel + ", \"enableDefaultDeny\": {\"ingress\": \"yes\"}}]",
        "[0].enableDefaultDeny.ingress", "expected true or false")]
    [InlineData("[{" + Sel + ", \"ingress\": {\"fromEndpoints\": []}}]",
        "[0].ingress", "expected a list of rules, found an object")]
    [InlineData("[{" + Sel + ", \"nodeSelector\": {}}]",
        "[0].nodeSelector", "host policies (nodeSelector) are not supported")]
    [InlineData("{\"endpointSelector\": {}}",
        "", "expected a list of rules (the 'cilium policy import' shape) or a CiliumNetworkPolicy document")]
    [InlineData("{\"kind\": \"NetworkPolicy\", \"spec\": {}}",
        "kind", "kind 'NetworkPolicy' is not a Cilium network policy")]
    [InlineData("{\"kind\": \"CiliumNetworkPolicy\", \"metadata\": {}}",
        "", "a CiliumNetworkPolicy needs spec or specs")]
    [InlineData("{\"kind\": \"CiliumNetworkPolicy\", \"spec\": {" + Sel + ", \"egress\": [{\"toPorts\": [{\"ports\": [{\"port\": \"8x\"}]}]}]}}",
        "spec.egress[0].toPorts[0].ports[0].port", "'8x' is not a port number")]
    public void RefusedWithFilePathAndProblem(string json, string path, string problem)
    {
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Parse(json, "bad.json"));
        Assert.Contains(e.Errors, error => error.File == "bad.json" && error.Path == path && error.Problem.Contains(problem, StringComparison.Ordinal));
        Assert.Contains("bad.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void L7RefusalExplainsTheDataPlaneIsL3L4Only()
    {
        const string yaml = """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: l7}
            spec:
              endpointSelector: {matchLabels: {app: web}}
              ingress:
              - toPorts:
                - ports: [{port: "80", protocol: TCP}]
                  rules:
                    http: [{method: GET, path: "/public"}]
            """;
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Parse(yaml, "l7.yaml"));
        var error = Assert.Single(e.Errors);
        Assert.Equal("spec.ingress[0].toPorts[0].rules", error.Path);
        Assert.Equal("l7.yaml: spec.ingress[0].toPorts[0].rules: L7 rules (http) are refused: the XdpNet data plane enforces L3/L4 only; remove the L7 part or enforce it in a proxy", error.ToString());
    }

    [Fact]
    public void EveryErrorOfAFileIsReported()
    {
        const string json = """[{"endpointSelector": {}, "ingress": [{"toPorts": [{"ports": [{"port": "http"}]}]}], "egress": [{"toCIDR": ["x"]}]}, {"ingress": []}]""";
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Parse(json, "many.json"));
        Assert.Equal(["[0].ingress[0].toPorts[0].ports[0].port", "[0].egress[0].toCIDR[0]", "[1]"], e.Errors.Select(x => x.Path));
    }

    [Fact]
    public void SyntaxErrorsNameTheLine()
    {
        var json = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Parse("[\n{\"endpointSelector\": {},}\n,]x", "broken.json"));
        Assert.Contains("not valid JSON: line", Assert.Single(json.Errors).Problem, StringComparison.Ordinal);

        var yaml = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Parse("- endpointSelector: {}\n  ingress: x: y", "broken.yaml"));
        Assert.StartsWith("not valid YAML: line 2, column 13", Assert.Single(yaml.Errors).Problem, StringComparison.Ordinal);
        Assert.Equal("broken.yaml", yaml.Errors[0].File);

        var unclosed = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Parse("- endpointSelector: {\n  ingress: [", "unclosed.yaml"));
        Assert.StartsWith("not valid YAML", Assert.Single(unclosed.Errors).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void YamlPathsUseTheSameShape()
    {
        const string yaml = """
            - endpointSelector: {}
              ingress:
              - {}
              - toPorts:
                - ports:
                  - port: 80
                    endPort: 79
            """;
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Parse(yaml, "p.yaml"));
        Assert.Equal("[0].ingress[1].toPorts[0].ports[0].endPort", Assert.Single(e.Errors).Path);
    }

    [Fact]
    public void DirectoryWithOneBadFileIsRefusedNamingThatFile()
    {
        var dir = Path.Combine(Path.GetTempPath(), "xdpnet-policy-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.json"), "[{\"endpointSelector\": {}}]");
            File.WriteAllText(Path.Combine(dir, "b.yaml"), "- endpointSelector: {}\n  egress: [{toPorts: [{ports: [{port: \"80\"}], rules: {http: []}}]}]\n");
            File.WriteAllText(Path.Combine(dir, "notes.txt"), "not a policy");
            var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.LoadDirectory(dir));
            var error = Assert.Single(e.Errors);
            Assert.Equal(Path.Combine(dir, "b.yaml"), error.File);
            Assert.Equal("[0].egress[0].toPorts[0].rules", error.Path);

            File.Delete(Path.Combine(dir, "b.yaml"));
            Assert.Single(PolicyLoader.LoadDirectory(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void MissingPathsAreRefused()
    {
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Load(["/nonexistent/xdpnet/policy.json", "/nonexistent/xdpnet/*.yaml"]));
        Assert.Equal(2, e.Errors.Count);
        Assert.All(e.Errors, error => Assert.Contains("no", error.Problem, StringComparison.Ordinal));
    }
}
