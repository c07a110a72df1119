using System.Text.Json;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;
using static XdpNet.IntegrationTests.Policy.PolicyTopology;

namespace XdpNet.IntegrationTests.Policy;

/// <summary>The three-container host of <see cref="PolicyTopology"/>, created once for the class (each test installs its own policy).</summary>
public sealed class PolicyTopologyFixture : IDisposable
{
    private PolicyTopology? _topology;

    /// <summary>Created on first use, so the class costs nothing where the tests are skipped (not root).</summary>
    public PolicyTopology Topology => _topology ??= new PolicyTopology();

    public void Dispose() => _topology?.Dispose();
}

/// <summary>
/// Cilium L3/L4 policy enforced by <c>xdpnet run</c> between real containers (namespaces): TCP connections and pings
/// succeed or fail as the policy says, drops are counted by reason, replies of a container's own connections pass
/// through connection tracking under default-deny ingress, policies are replaced live, malformed policies are refused.
/// </summary>
[Collection("netns")]
public sealed class PolicyEnforcementTests(PolicyTopologyFixture fixture) : IClassFixture<PolicyTopologyFixture>
{
    private static readonly bool[] Families = [false, true];

    private PolicyTopology T => fixture.Topology;

    /// <summary>web accepts TCP 80 from client only (L4 given: no ICMP).</summary>
    private const string WebL4 = """
        [ { "endpointSelector": { "matchLabels": { "app": "web" } },
            "ingress": [ { "fromEndpoints": [ { "matchLabels": { "app": "client" } } ],
                           "toPorts": [ { "ports": [ { "port": "80", "protocol": "TCP" } ] } ] } ] } ]
        """;

    private string Why => $"\n--- xdpnet ---\n{T.Xdp.Output}";

    private void Install(string policy) => Assert.True(T.SetPolicy(policy), "reload refused" + Why);

    private void AssertConnects(int from, int to, int port, bool ipv6, bool expected)
    {
        var ok = T.Connect(from, Address(to, ipv6), port);
        Assert.True(ok == expected, $"{from} -> {Address(to, ipv6)}:{port} {(ok ? "connected" : "failed")}, expected {(expected ? "success" : "failure")}{Why}");
    }

    private void AssertPing(int from, int to, bool ipv6, bool expected)
    {
        var ok = T.Ping(from, Address(to, ipv6));
        Assert.True(ok == expected, $"ping {from} -> {Address(to, ipv6)} {(ok ? "answered" : "failed")}, expected {(expected ? "an answer" : "none")}{Why}");
    }

    [RootFact]
    public void WithoutAPolicySelectingWebEverythingFlows()
    {
        Install(NoPolicy);
        foreach (var v6 in Families)
        {
            AssertConnects(Client, Web, 80, v6, true);
            AssertConnects(Other, Web, 80, v6, true);
            AssertConnects(Client, Web, 81, v6, true);
            AssertConnects(Web, Other, 81, v6, true);
            AssertPing(Client, Web, v6, true);
        }
    }

    [RootFact]
    public void WebAcceptsTcp80FromClientOnlyAndItsOwnConnectionsStillWork()
    {
        Install(WebL4);
        foreach (var v6 in Families)
        {
            AssertConnects(Client, Web, 80, v6, true);

            var before = T.Drops("policy-default-denied");
            AssertConnects(Other, Web, 80, v6, false);
            var after = T.Drops("policy-default-denied");
            Assert.True(after > before, $"other -> web:80 was not counted as policy-default-denied ({before} -> {after}){Why}");

            AssertConnects(Client, Web, 81, v6, false);
            // toPorts given: ICMP is not allowed unless an icmps rule says so.
            AssertPing(Client, Web, v6, false);
            // web's own connections: default-deny ingress, yet the replies pass as part of the tracked flow.
            AssertConnects(Web, Client, 80, v6, true);
            AssertConnects(Web, Other, 81, v6, true);
            // Other endpoints are not selected: unaffected.
            AssertConnects(Other, Client, 81, v6, true);
        }
        Assert.True(T.Stage("policy", "default_denied") > 0, Why);
        Assert.True(T.Stage("policy", "established") > 0, Why);
    }

    /// <summary>
    /// other borrows client's address as its source: web's ingress policy must not take it for client (a local
    /// endpoint's identity belongs to its interface). The connection fails either way (web's answer goes to client),
    /// so the drop counter tells: the SYN must be refused, not let in as client's.
    /// </summary>
    [RootFact]
    public void AContainerUsingAnotherEndpointsAddressDoesNotGetItsIdentity()
    {
        Install(WebL4);
        var borrowed = V4(Client) + "/32";
        T[Other].ExecChecked("ip", "addr", "add", borrowed, "dev", T.Inside(Other));
        try
        {
            // Refused at the source, before any policy lookup: client's address is not other's to use.
            var spoofedBefore = T.Drops("spoofed-source");
            var allowedBefore = T.Stage("policy", "allowed");
            Assert.False(T.Connect(Other, V4(Web), 80, source: V4(Client)), "a spoofed connection succeeded" + Why);
            var spoofedAfter = T.Drops("spoofed-source");
            var allowedAfter = T.Stage("policy", "allowed");
            Assert.True(spoofedAfter > spoofedBefore && allowedAfter == allowedBefore,
                $"other's SYN from client's address to web:80 was not refused as spoofed-source ({spoofedBefore} -> {spoofedAfter}, allowed {allowedBefore} -> {allowedAfter}){Why}");
        }
        finally
        {
            T[Other].Exec("ip", "addr", "del", borrowed, "dev", T.Inside(Other));
        }
    }

    [RootFact]
    public void IngressDenyWinsOverAnAllow()
    {
        Install("""
            [ { "endpointSelector": { "matchLabels": { "app": "web" } },
                "ingress": [ { "fromEndpoints": [ { "matchLabels": { "app": "client" } } ] } ],
                "ingressDeny": [ { "fromEndpoints": [ { "matchLabels": { "app": "client" } } ],
                                   "toPorts": [ { "ports": [ { "port": "81", "protocol": "TCP" } ] } ] } ] } ]
            """);
        foreach (var v6 in Families)
        {
            AssertConnects(Client, Web, 80, v6, true);
            AssertPing(Client, Web, v6, true);
            var before = T.Drops("policy-denied");
            AssertConnects(Client, Web, 81, v6, false);
            Assert.True(T.Drops("policy-denied") > before, $"client -> web:81 was not counted as policy-denied{Why}");
            AssertConnects(Other, Web, 80, v6, false);
        }
    }

    [RootFact]
    public void AnEmptyIngressRuleDeniesAllIngressButNotTheEndpointsOwnConnections()
    {
        Install("""[ { "endpointSelector": { "matchLabels": { "app": "web" } }, "ingress": [ {} ] } ]""");
        foreach (var v6 in Families)
        {
            AssertConnects(Client, Web, 80, v6, false);
            AssertConnects(Other, Web, 81, v6, false);
            AssertPing(Client, Web, v6, false);
            AssertConnects(Web, Client, 80, v6, true);
            AssertPing(Web, Client, v6, true);
        }
    }

    [RootFact]
    public void CidrRulesWithExceptMatchAddressesThatAreNoEndpoint()
    {
        // other's .3 and .4 addresses belong to no endpoint (CIDR identities); its .2 address is endpoint "other",
        // which a CIDR rule does not cover. client may only reach the CIDR outside its except.
        Install("""
            [ { "endpointSelector": { "matchLabels": { "app": "web" } },
                "ingress": [ { "fromCIDRSet": [ { "cidr": "198.18.3.0/24", "except": [ "198.18.3.4/32" ] },
                                                { "cidr": "2001:db8:3::/64", "except": [ "2001:db8:3::4/128" ] } ],
                               "toPorts": [ { "ports": [ { "port": "80", "protocol": "TCP" } ] } ] } ] },
              { "endpointSelector": { "matchLabels": { "app": "client" } },
                "egress": [ { "toCIDRSet": [ { "cidr": "198.18.3.0/24", "except": [ "198.18.3.4/32" ] } ] },
                            { "toCIDR": [ "2001:db8:3::/64" ] } ],
                "egressDeny": [ { "toCIDR": [ "2001:db8:3::4/128" ] } ] } ]
            """);
        foreach (var v6 in Families)
        {
            var three = Address(Other, v6, 3);
            var four = Address(Other, v6, 4);
            Assert.True(T.Connect(Other, Address(Web, v6), 80, source: three), $"{three} -> web:80 refused{Why}");
            Assert.False(T.Connect(Other, Address(Web, v6), 80, source: four), $"{four} (except) -> web:80 connected{Why}");
            Assert.False(T.Connect(Other, Address(Web, v6), 81, source: three), $"{three} -> web:81 connected{Why}");
            AssertConnects(Other, Web, 80, v6, false);

            Assert.True(T.Connect(Client, three, 80), $"client -> {three} refused{Why}");
            Assert.False(T.Connect(Client, four, 80), $"client -> {four} (except / deny) connected{Why}");
            AssertConnects(Client, Other, 80, v6, false);
            AssertConnects(Client, Web, 80, v6, false);
        }
    }

    [RootFact]
    public void EgressPolicyOnClientAllowsWebOnly()
    {
        Install("""
            [ { "endpointSelector": { "matchLabels": { "app": "client" } },
                "egress": [ { "toEndpoints": [ { "matchLabels": { "app": "web" } } ] } ] } ]
            """);
        foreach (var v6 in Families)
        {
            AssertConnects(Client, Web, 80, v6, true);
            AssertConnects(Client, Web, 81, v6, true);
            var before = T.Drops("policy-default-denied");
            AssertConnects(Client, Other, 80, v6, false);
            Assert.True(T.Drops("policy-default-denied") > before, Why);
            AssertPing(Client, Other, v6, false);
            // Ingress of client is not restricted: other still reaches it, and the replies leave through conntrack.
            AssertConnects(Other, Client, 80, v6, true);
        }
    }

    [RootFact]
    public void AMalformedPolicyOnReloadIsRefusedNamingTheFileAndPathAndTheOldPolicyKeepsEnforcing()
    {
        Install(WebL4);
        AssertConnects(Other, Web, 80, false, false);
        var marker = T.Xdp.Output.Length;
        var applied = T.SetPolicy("""
            [ { "endpointSelector": { "matchLabels": { "app": "web" } },
                "ingress": [ { "toPorts": [ { "ports": [ { "port": "eighty", "protocol": "TCP" } ] } ] } ] } ]
            """);
        Assert.False(applied, "a malformed policy was applied" + Why);
        var log = T.Xdp.Output[marker..];
        var line = log.Split('\n').FirstOrDefault(l => l.Contains("reload refused", StringComparison.Ordinal)) ?? "";
        Assert.Contains("policy.json", line, StringComparison.Ordinal);
        Assert.Contains("[0].ingress[0].toPorts[0].ports[0].port", line, StringComparison.Ordinal);
        // The last good policy is still enforced.
        AssertConnects(Client, Web, 80, false, true);
        AssertConnects(Other, Web, 80, false, false);
        AssertConnects(Other, Web, 80, true, false);
    }

    [RootFact]
    public void RewritingThePolicyFileUnderTheRunningProcessTakesEffectWithoutARestart()
    {
        Install(NoPolicy);
        AssertConnects(Other, Web, 80, false, true);
        var pid = T.Xdp.Pid;
        // No signal: the file alone changes.
        File.WriteAllText(T.PolicyPath, WebL4);
        var denied = false;
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(8); !denied && DateTime.UtcNow < deadline;)
        {
            denied = !T.Connect(Other, Address(Web, false), 80, timeoutSeconds: 0.5);
        }
        // The same file does take effect on SIGHUP: the file is good, only its change went unnoticed.
        var appliedOnSignal = T.SetPolicy(WebL4);
        var deniedAfterSignal = !T.Connect(Other, Address(Web, false), 80);
        Assert.Equal(pid, T.Xdp.Pid);
        Assert.True(appliedOnSignal && deniedAfterSignal, "the rewritten policy did not apply even on SIGHUP" + Why);
        Assert.True(denied, "other still reached web:80 8 s after the policy file was rewritten (no reload happened; SIGHUP then applied it)" + Why);
        AssertConnects(Client, Web, 80, false, true);
    }

    /// <summary>The documented live reload: a change of the host file (here rewritten unchanged) reloads the policy files it names.</summary>
    [RootFact]
    public void RewritingThePolicyFileThenTheHostFileTakesEffectWithoutASignal()
    {
        Install(NoPolicy);
        AssertConnects(Other, Web, 80, false, true);
        var applied = T.Applied;
        File.WriteAllText(T.PolicyPath, WebL4);
        File.WriteAllText(T.ConfigPath, File.ReadAllText(T.ConfigPath));
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10); T.Applied == applied && DateTime.UtcNow < deadline;) Thread.Sleep(50);
        Assert.True(T.Applied > applied, "no reload after the host file changed" + Why);
        AssertConnects(Other, Web, 80, false, false);
        AssertConnects(Client, Web, 80, false, true);
    }

    [RootFact]
    public void ConntrackListsAnEstablishedTcpConnection()
    {
        Install(WebL4);
        foreach (var v6 in Families)
        {
            var (client, port) = T.Hold(Client, Address(Web, v6), 80, holdSeconds: 30);
            try
            {
                using var doc = T.Conntrack();
                var flows = doc.RootElement.GetProperty("flows").EnumerateArray().ToList();
                var flow = flows.FirstOrDefault(f => f.GetProperty("source_port").GetInt32() == port && f.GetProperty("destination_port").GetInt32() == 80
                    && f.GetProperty("protocol").GetString() == "tcp");
                Assert.True(flow.ValueKind == JsonValueKind.Object, $"no flow for port {port} in:\n{doc.RootElement}{Why}");
                Assert.Equal(Address(Client, v6), flow.GetProperty("source").GetString());
                Assert.Equal(Address(Web, v6), flow.GetProperty("destination").GetString());
                Assert.Equal("ESTABLISHED", flow.GetProperty("state").GetString());
                Assert.True(flow.GetProperty("packets_original").GetInt64() >= 3, doc.RootElement.ToString());
                Assert.True(flow.GetProperty("packets_reply").GetInt64() >= 2, doc.RootElement.ToString());
                Assert.True(doc.RootElement.GetProperty("counters").GetProperty("entries").GetInt64() >= 1);
            }
            finally
            {
                if (!client.HasExited) client.Kill(entireProcessTree: true);
                client.Dispose();
            }
        }
    }

    [RootFact]
    public void AMalformedPolicyAtStartExitsWith2NamingPolicyFilesTheFileAndThePath()
    {
        var directory = Path.Combine(T.Directory, "bad");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "bad.yaml"), """
            - endpointSelector:
                matchLabels: { app: web }
              ingress:
                - fromEndpoints:
                    - matchLabels: { app: client }
                  toPorts:
                    - ports:
                        - { port: "80", protocol: TCP }
                      rules:
                        http:
                          - { method: GET }
            """);
        var config = T.Config("bad.yaml").Replace(T.StatsSocket, Path.Combine(directory, "stats.sock"), StringComparison.Ordinal);
        var path = Path.Combine(directory, "host.json");
        File.WriteAllText(path, config);
        using var xdp = XdpNetProcess.Start(T.Host, "run", "--config", path);
        var exit = xdp.WaitExit(TimeSpan.FromSeconds(30));
        Assert.True(exit == 2, $"exit {exit}:\n{xdp.Output}");
        var line = xdp.Output.Split('\n').FirstOrDefault(l => l.Contains("Policy:Files", StringComparison.Ordinal)) ?? "";
        Assert.True(line.Length > 0, xdp.Output);
        Assert.Contains("bad.yaml", line, StringComparison.Ordinal);
        Assert.Contains("[0].ingress[0].toPorts[0].rules", line, StringComparison.Ordinal);
        // The running instance was not disturbed.
        AssertConnects(Client, Web, 80, false, true);
    }
}
