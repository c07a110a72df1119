using XdpNet.Configuration;

namespace Xdp.Runtime.Tests.Policy;

/// <summary>
/// Endpoints and Policy refused by <see cref="HostConfigValidator"/> naming the key (and for policy files the file and
/// the path inside it), on the configuration of <see cref="PolicyRig"/>; each case breaks one thing.
/// </summary>
public sealed class PolicyConfigValidationTests : IDisposable
{
    private static readonly ValidationLimits Limits = new(ProcessorCount: 2, PageSize: 4096);
    private readonly PolicyRigDirectory _dir = new();
    private readonly string _policy;

    public PolicyConfigValidationTests() =>
        _policy = _dir.Write("policy.json", """[ { "endpointSelector": { "matchLabels": { "app": "web" } }, "ingress": [ {} ] } ]""");

    private HostConfig Valid() => PolicyRig.CreateConfig(_policy);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void TheRigConfigurationIsValid() => Assert.Empty(HostConfigValidator.Validate(Valid(), Limits));

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    private static readonly Dictionary<string, (Action<HostConfig> Break, string Key)> Cases = new()
    {
        ["label without '='"] = (c => c.Endpoints[0].Labels = ["app"], "Endpoints:0:Labels:0"),
        ["label with an empty key"] = (c => c.Endpoints[1].Labels = ["app=client", "=web"], "Endpoints:1:Labels:1"),
        ["label key with a space"] = (c => c.Endpoints[2].Labels = ["my app=other"], "Endpoints:2:Labels:0"),
        ["unknown interface"] = (c => c.Endpoints[0].Interface = "eth9", "Endpoints:0:Interface"),
        ["uplink interface"] = (c => c.Endpoints[1].Interface = "up", "Endpoints:1:Interface"),
        ["duplicate address"] = (c => c.Endpoints[1].Addresses[0] = PolicyRig.V4(PolicyRig.Web), "Endpoints:1:Addresses:0"),
        ["duplicate IPv6 address, other spelling"] = (c => c.Endpoints[3].Addresses[1] = "2001:0db8:0001:0000::2", "Endpoints:3:Addresses:1"),
        ["not an address"] = (c => c.Endpoints[2].Addresses[0] = "198.18.2.300", "Endpoints:2:Addresses:0"),
        ["no address"] = (c => c.Endpoints[0].Addresses = [], "Endpoints:0:Addresses"),
        ["no name"] = (c => c.Endpoints[0].Name = "", "Endpoints:0:Name"),
        ["duplicate name"] = (c => c.Endpoints[2].Name = "web", "Endpoints:2:Name"),
        ["conntrack capacity not a power of two"] = (c => c.Policy.Conntrack.Capacity = 1000, "Policy:Conntrack:Capacity"),
        ["conntrack timeout zero"] = (c => c.Policy.Conntrack.UdpSeconds = 0, "Policy:Conntrack:UdpSeconds"),
    };

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ABrokenKeyIsRefusedByName(string name)
    {
        var config = Valid();
        var (breakIt, key) = Cases[name];
        breakIt(config);
        var errors = HostConfigValidator.Validate(config, Limits);
        Assert.Contains(errors, e => e.Key == key);
        Assert.All(errors, e => Assert.StartsWith(key.Split(':')[0], e.Key, StringComparison.Ordinal));
    }

    [Fact]
    public void AMissingPolicyFileIsRefusedNamingIt()
    {
        var config = Valid();
        var missing = Path.Combine(_dir.Path, "missing.yaml");
        config.Policy.Files = [_policy, missing];
        var error = Assert.Single(HostConfigValidator.Validate(config, Limits));
        Assert.Equal("Policy:Files", error.Key);
        Assert.Contains("missing.yaml", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void APolicyFileWithAnL7RuleIsRefusedNamingTheFileAndThePath()
    {
        var config = Valid();
        var l7 = _dir.Write("l7.yaml", """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: { name: web-http }
            spec:
              endpointSelector: { matchLabels: { app: web } }
              ingress:
                - fromEndpoints: [ { matchLabels: { app: client } } ]
                  toPorts:
                    - ports: [ { port: "80", protocol: TCP } ]
                      rules:
                        http: [ { method: GET, path: "/" } ]
            """);
        config.Policy.Files = [l7];
        var errors = HostConfigValidator.Validate(config, Limits);
        var error = Assert.Single(errors);
        Assert.Equal("Policy:Files", error.Key);
        Assert.Contains("l7.yaml", error.Problem, StringComparison.Ordinal);
        Assert.Contains("rules", error.Problem, StringComparison.Ordinal);
        Assert.Contains("L3/L4", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ALabelWithASourcePrefixIsAccepted()
    {
        var config = Valid();
        config.Endpoints[0].Labels = ["k8s:app=web", "tier=front"];
        Assert.Empty(HostConfigValidator.Validate(config, Limits));
    }
}
