using System.Net;
using Xdp.Filter.Policy;

namespace Xdp.Filter.Tests.Policy;

/// <summary>A small host: three local endpoints, one remote endpoint, the host's own addresses.</summary>
internal sealed class PolicyFixture
{
    public const int Web = 0;
    public const int Frontend = 1;
    public const int Db = 2;
    public const int RemoteFrontend = 3;

    public static readonly IPAddress WebAddress = IPAddress.Parse("198.18.0.10");
    public static readonly IPAddress FrontendAddress = IPAddress.Parse("198.18.0.11");
    public static readonly IPAddress DbAddress = IPAddress.Parse("2001:db8::20");
    public static readonly IPAddress RemoteFrontendAddress = IPAddress.Parse("198.18.1.5");
    public static readonly IPAddress HostV4 = IPAddress.Parse("198.18.0.1");
    public static readonly IPAddress HostV6 = IPAddress.Parse("2001:db8::1");

    public static IReadOnlyList<PolicyEndpoint> Endpoints { get; } =
    [
        new(WebAddress, new Dictionary<string, string> { ["app"] = "web", ["io.kubernetes.pod.namespace"] = "prod" }),
        new(FrontendAddress, new Dictionary<string, string> { ["role"] = "frontend", ["io.kubernetes.pod.namespace"] = "prod" }),
        new(DbAddress, new Dictionary<string, string> { ["app"] = "db", ["io.kubernetes.pod.namespace"] = "prod" }),
        new(RemoteFrontendAddress, new Dictionary<string, string> { ["role"] = "frontend", ["io.kubernetes.pod.namespace"] = "prod" }, Local: false),
    ];

    public static IReadOnlyList<IPAddress> HostAddresses { get; } = [HostV4, HostV6];

    public PolicyFixture(string policy, string file = "test.yaml")
    {
        Rules = PolicyLoader.Parse(policy, file);
        Compiled = PolicyCompiler.Compile(Rules, Endpoints, HostAddresses);
        Reference = new ReferencePolicyEvaluator(Rules, Endpoints, HostAddresses);
    }

    public IReadOnlyList<PolicyRule> Rules { get; }

    public CompiledPolicy Compiled { get; }

    public ReferencePolicyEvaluator Reference { get; }

    /// <summary>The compiled verdict, after checking the reference evaluator agrees.</summary>
    public PolicyVerdict Verdict(int endpoint, PolicyDirection direction, string remote, byte protocol, ushort port)
    {
        var address = IPAddress.Parse(remote);
        var compiled = Compiled.Evaluate(endpoint, direction, address, protocol, port).Verdict;
        var reference = Reference.Evaluate(endpoint, direction, address, protocol, port);
        Assert.True(reference == compiled, $"endpoint {endpoint} {direction} {remote} proto {protocol} port {port}: compiled {compiled}, reference {reference}");
        return compiled;
    }

    public PolicyVerdict In(int endpoint, string from, byte protocol, ushort port) => Verdict(endpoint, PolicyDirection.Ingress, from, protocol, port);

    public PolicyVerdict Out(int endpoint, string to, byte protocol, ushort port) => Verdict(endpoint, PolicyDirection.Egress, to, protocol, port);
}

internal static class Proto
{
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Gre = 47;
    public const byte Icmpv6 = 58;
    public const byte Sctp = 132;
}
