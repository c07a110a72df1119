using System.Globalization;
using System.Net;
using System.Text;
using Xdp.Filter.Policy;

namespace Xdp.Filter.Tests.Policy;

/// <summary>
/// Random policy sets over a random population of endpoints: the compiled map (identities, LPM, resolved
/// precedence, prefix entries) must give the reference evaluator's verdict for every probed
/// (endpoint, direction, peer, protocol, port).
/// </summary>
public class PolicyMapReferenceTests
{
    private static readonly string[] Apps = ["web", "db", "cache", "api"];
    private static readonly string[] Envs = ["prod", "test"];
    private static readonly string[] Cidrs4 = ["198.18.0.0/15", "198.18.0.0/16", "198.19.0.0/16", "198.19.128.0/17", "198.19.200.0/24", "198.18.3.0/24", "198.19.7.7/32"];
    private static readonly string[] Cidrs6 = ["2001:db8::/32", "2001:db8::/48", "2001:db8:1::/48", "2001:db8:1:2::/64"];
    private static readonly string[] Protocols = ["TCP", "UDP", "SCTP", "ANY"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void CompiledMapEqualsReferenceEvaluation(int seed)
    {
        var seen = CompareOnRandomPolicy(seed);
        Assert.True(seen.Count >= 2, $"seed {seed}: every probe gave {string.Join(",", seen)}; the policy set does not discriminate");
    }

    /// <summary>Fails on the first disagreement; returns the verdicts seen.</summary>
    internal static HashSet<PolicyVerdict> CompareOnRandomPolicy(int seed)
    {
        var random = new Random(seed);
        var endpoints = new List<PolicyEndpoint>();
        for (var i = 0; i < 12; i++)
        {
            var labels = new Dictionary<string, string> { ["app"] = Pick(random, Apps) };
            if (random.Next(2) == 0) labels["env"] = Pick(random, Envs);
            var address = random.Next(2) == 0
                ? IPAddress.Parse($"198.18.{random.Next(0, 8)}.{10 + i}")
                : IPAddress.Parse($"2001:db8:{random.Next(0, 3):x}::{10 + i:x}");
            endpoints.Add(new PolicyEndpoint(address, labels, Local: random.Next(3) != 0));
        }
        IPAddress[] hosts = [IPAddress.Parse("198.18.0.1"), IPAddress.Parse("2001:db8::1")];

        var json = RandomPolicy(random, 1 + random.Next(8));
        var rules = PolicyLoader.Parse(json, $"random-{seed}.json");
        var compiled = PolicyCompiler.Compile(rules, endpoints, hosts);
        var reference = new ReferencePolicyEvaluator(rules, endpoints, hosts);

        var peers = new List<IPAddress>(hosts);
        peers.AddRange(endpoints.Select(e => e.Address));
        foreach (var cidr in Cidrs4.Concat(Cidrs6))
        {
            var network = IPNetwork.Parse(cidr);
            peers.Add(network.BaseAddress);
            peers.Add(Last(network));
        }
        for (var i = 0; i < 20; i++)
        {
            peers.Add(IPAddress.Parse($"198.{18 + random.Next(3)}.{random.Next(256)}.{random.Next(256)}"));
            peers.Add(IPAddress.Parse($"2001:db8:{random.Next(3):x}:{random.Next(3):x}::{random.Next(65536):x}"));
        }
        byte[] protocols = [6, 17, 132, 1, 58, 47];
        var checks = 0;
        var seen = new HashSet<PolicyVerdict>();
        for (var e = 0; e < endpoints.Count; e++)
        {
            if (!endpoints[e].Local) continue;
            foreach (var direction in new[] { PolicyDirection.Ingress, PolicyDirection.Egress })
                foreach (var peer in peers)
                    foreach (var protocol in protocols)
                        for (var k = 0; k < 6; k++)
                        {
                            ushort port = protocol is 1 or 58 ? (ushort)Pick(random, [0, 3, 8, 128, 129, 255])
                                : (ushort)Pick(random, [0, 1, 22, 53, 80, 443, 1023, 1024, 8000, 8080, 8081, 65535, random.Next(65536), random.Next(65536)]);
                            var expected = reference.Evaluate(e, direction, peer, protocol, port);
                            var actual = compiled.Evaluate(e, direction, peer, protocol, port).Verdict;
                            if (expected != actual)
                                Assert.Fail($"seed {seed}: endpoint {e} ({endpoints[e].Address}) {direction} peer {peer} proto {protocol} port {port}: map {actual}, reference {expected}\n{json}");
                            seen.Add(expected);
                            checks++;
                        }
        }
        Assert.True(checks > 1000);
        return seen;
    }

    private static string RandomPolicy(Random random, int rules)
    {
        var sb = new StringBuilder("[");
        for (var r = 0; r < rules; r++)
        {
            if (r > 0) sb.Append(',');
            sb.Append("{\"endpointSelector\":").Append(RandomSelector(random, allowEmpty: true));
            foreach (var section in new[] { "ingress", "ingressDeny", "egress", "egressDeny" })
            {
                if (random.Next(3) == 0) continue;
                var ingress = section.StartsWith("ingress", StringComparison.Ordinal);
                sb.Append(",\"").Append(section).Append("\":[");
                var count = random.Next(0, 3);
                for (var i = 0; i < count; i++)
                {
                    if (i > 0) sb.Append(',');
                    sb.Append(RandomPeerRule(random, ingress ? "from" : "to"));
                }
                sb.Append(']');
            }
            if (random.Next(5) == 0)
                sb.Append(",\"enableDefaultDeny\":{\"ingress\":").Append(random.Next(2) == 0 ? "true" : "false").Append('}');
            sb.Append('}');
        }
        return sb.Append(']').ToString();
    }

    private static string RandomPeerRule(Random random, string prefix)
    {
        var parts = new List<string>();
        if (random.Next(3) == 0)
        {
            var selectors = Enumerable.Range(0, random.Next(1, 3)).Select(_ => RandomSelector(random, allowEmpty: random.Next(6) == 0));
            parts.Add($"\"{prefix}Endpoints\":[{string.Join(",", selectors)}]");
        }
        if (random.Next(3) == 0)
            parts.Add($"\"{prefix}CIDR\":[\"{Pick(random, random.Next(2) == 0 ? Cidrs4 : Cidrs6)}\"]");
        if (random.Next(4) == 0)
        {
            var v4 = random.Next(2) == 0;
            var cidr = v4 ? "198.18.0.0/15" : "2001:db8::/32";
            var except = v4 ? Pick(random, ["198.18.3.0/24", "198.19.128.0/17", "198.19.7.7/32"]) : Pick(random, ["2001:db8:1::/48", "2001:db8:1:2::/64"]);
            parts.Add($"\"{prefix}CIDRSet\":[{{\"cidr\":\"{cidr}\",\"except\":[\"{except}\"]}}]");
        }
        if (random.Next(6) == 0)
            parts.Add($"\"{prefix}Entities\":[\"{Pick(random, ["all", "world", "cluster", "host"])}\"]");
        if (random.Next(2) == 0)
        {
            var ports = Enumerable.Range(0, random.Next(1, 3)).Select(_ =>
            {
                var kind = random.Next(4);
                var protocol = Pick(random, Protocols);
                if (kind == 0) return $"{{\"protocol\":\"{protocol}\"}}";
                var port = Pick(random, [22, 53, 80, 443, 1024, 8000, random.Next(1, 65536)]);
                if (kind == 1) return $"{{\"port\":\"{port}\",\"protocol\":\"{protocol}\"}}";
                var end = Math.Min(65535, port + random.Next(0, 3) switch { 0 => 80, 1 => random.Next(1, 2000), _ => random.Next(1, 40000) });
                return $"{{\"port\":{port},\"endPort\":{end},\"protocol\":\"{protocol}\"}}";
            });
            parts.Add($"\"toPorts\":[{{\"ports\":[{string.Join(",", ports)}]}}]");
        }
        if (random.Next(5) == 0)
            parts.Add($"\"icmps\":[{{\"fields\":[{{\"type\":{Pick(random, [0, 8, 128, 129])},\"family\":\"{Pick(random, ["IPv4", "IPv6"])}\"}}]}}]");
        return "{" + string.Join(",", parts) + "}";
    }

    private static string RandomSelector(Random random, bool allowEmpty)
    {
        if (allowEmpty && random.Next(4) == 0) return "{}";
        return random.Next(5) switch
        {
            0 => $"{{\"matchLabels\":{{\"k8s:app\":\"{Pick(random, Apps)}\"}}}}",
            1 => $"{{\"matchLabels\":{{\"app\":\"{Pick(random, Apps)}\",\"env\":\"{Pick(random, Envs)}\"}}}}",
            2 => $"{{\"matchExpressions\":[{{\"key\":\"env\",\"operator\":\"{Pick(random, ["Exists", "DoesNotExist"])}\"}}]}}",
            3 => $"{{\"matchExpressions\":[{{\"key\":\"app\",\"operator\":\"{Pick(random, ["In", "NotIn"])}\",\"values\":[\"{Pick(random, Apps)}\",\"{Pick(random, Apps)}\"]}}]}}",
            _ => "{\"matchLabels\":{\"reserved:host\":\"\"}}",
        };
    }

    private static IPAddress Last(IPNetwork network)
    {
        var bytes = network.BaseAddress.GetAddressBytes();
        for (var bit = network.PrefixLength; bit < bytes.Length * 8; bit++) bytes[bit / 8] |= (byte)(0x80 >> (bit % 8));
        return new IPAddress(bytes);
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
