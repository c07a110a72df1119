using System.Net;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Tests.Vxlan;
using Xdp.Runtime.Wire;
using XdpNet.Configuration;
using XdpNet.Pipeline;
using static Xdp.Runtime.Tests.Policy.PolicyRig;

namespace Xdp.Runtime.Tests.Policy;

/// <summary>
/// Policy in the host pipeline <c>xdpnet run</c> runs (<see cref="HostPipelineBuilder.Build"/> on a configuration with
/// Endpoints and Policy), offline: the egress policy of the sending local endpoint, the ingress policy of the receiving
/// one, connection tracking letting replies through, flows created only for packets actually sent, flooded copies
/// checked, and no allocation per packet.
/// </summary>
public class HostPipelinePolicyTests
{
    private const TcpHeader.Flag Syn = TcpHeader.Flag.Syn, SynAck = TcpHeader.Flag.Syn | TcpHeader.Flag.Ack, Ack = TcpHeader.Flag.Ack;

    /// <summary>web accepts TCP 80 from app=client only; client may send to web only.</summary>
    private const string WebL4ClientEgress = """
        [ { "endpointSelector": { "matchLabels": { "app": "web" } },
            "ingress": [ { "fromEndpoints": [ { "matchLabels": { "app": "client" } } ],
                           "toPorts": [ { "ports": [ { "port": "80", "protocol": "TCP" } ] } ] } ] },
          { "endpointSelector": { "matchLabels": { "app": "client" } },
            "egress": [ { "toEndpoints": [ { "matchLabels": { "app": "web" } } ] } ] } ]
        """;

    private static void AssertTx(PolicyRig.Result result, int egress, string what) =>
        Assert.True(result.Verdict == Verdict.Tx && result.Egress == egress, $"{what}: {result}, expected Tx to {egress}");

    private static void AssertDrop(PolicyRig.Result result, DropReason reason, string what) =>
        Assert.True(result.Verdict == Verdict.Drop && result.Reason == reason, $"{what}: {result}, expected Drop {reason}");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NewFlowsAreAllowedOrDeniedByTheEgressPolicyOfTheSenderAndTheIngressPolicyOfTheReceiver(bool ipv6)
    {
        using var rig = new PolicyRig(WebL4ClientEgress);
        AssertTx(rig.Run(Tcp(Cli, Web, 40000, 80, Syn, ipv6), Cli), Web, "client -> web:80");
        AssertDrop(rig.Run(Tcp(Oth, Web, 40001, 80, Syn, ipv6), Oth), DropReason.PolicyDefaultDenied, "other -> web:80 (web ingress)");
        AssertDrop(rig.Run(Tcp(Cli, Web, 40002, 81, Syn, ipv6), Cli), DropReason.PolicyDefaultDenied, "client -> web:81 (web ingress)");
        // other has no ingress policy: only client's egress policy can refuse this.
        AssertDrop(rig.Run(Tcp(Cli, Oth, 40003, 80, Syn, ipv6), Cli), DropReason.PolicyDefaultDenied, "client -> other:80 (client egress)");
        AssertDrop(rig.Run(Ping(Cli, Web, ipv6), Cli), DropReason.PolicyDefaultDenied, "ping client -> web (L4 given: no ICMP)");
        AssertDrop(rig.Run(Udp(Cli, Web, 40004, 80, ipv6), Cli), DropReason.PolicyDefaultDenied, "UDP client -> web:80 (only TCP allowed)");
        AssertTx(rig.Run(Tcp(Oth, Cli, 40005, 81, Syn, ipv6), Oth), Cli, "other -> client:81 (client ingress unrestricted)");
        // From the uplink: the remote endpoint labelled app=client is allowed, an unknown (world) address is not.
        AssertTx(rig.Run(Tcp(Up, Web, 40006, 80, Syn, ipv6), Up), Web, "remote client -> web:80");
        var world = ipv6 ? "2001:db8:9::77" : "198.18.9.77";
        AssertDrop(rig.Run(Tcp(Up, Web, 40007, 80, Syn, ipv6, sourceAddress: world), Up), DropReason.PolicyDefaultDenied, "world -> web:80");
        // web has no egress policy: it reaches the remote endpoint.
        AssertTx(rig.Run(Tcp(Web, Up, 40008, 443, Syn, ipv6), Web), Up, "web -> remote:443");

        var c = rig.Engine.Counters;
        Assert.Equal(6, c.DefaultDenied);
        Assert.Equal(0, c.Denied);
        Assert.Equal(4, c.FlowsCreated);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheReplyOfAnAllowedFlowPassesUnderDefaultDenyIngress(bool ipv6)
    {
        using var rig = new PolicyRig("""[ { "endpointSelector": { "matchLabels": { "app": "web" } }, "ingress": [ {} ] } ]""");
        // Nobody reaches web on its own initiative...
        AssertDrop(rig.Run(Tcp(Cli, Web, 40000, 80, Syn, ipv6), Cli), DropReason.PolicyDefaultDenied, "client -> web:80");
        // ...but web's own connection works both ways.
        AssertTx(rig.Run(Tcp(Web, Cli, 41000, 80, Syn, ipv6, sequence: 1000), Web), Cli, "web SYN");
        AssertTx(rig.Run(Tcp(Cli, Web, 80, 41000, SynAck, ipv6, sequence: 5000, acknowledgment: 1001), Cli), Web, "client SYN-ACK");
        AssertTx(rig.Run(Tcp(Web, Cli, 41000, 80, Ack, ipv6, sequence: 1001, acknowledgment: 5001), Web), Cli, "web ACK");
        AssertTx(rig.Run(Tcp(Cli, Web, 80, 41000, Ack | TcpHeader.Flag.Psh, ipv6, sequence: 5001, acknowledgment: 1001), Cli), Web, "client data");
        // UDP: the answer to web's query passes too.
        AssertTx(rig.Run(Udp(Web, Oth, 42000, 53, ipv6), Web), Oth, "web UDP query");
        AssertTx(rig.Run(Udp(Oth, Web, 53, 42000, ipv6), Oth), Web, "other UDP answer");
        // A different port of other is a new flow, refused.
        AssertDrop(rig.Run(Udp(Oth, Web, 54, 42000, ipv6), Oth), DropReason.PolicyDefaultDenied, "other UDP from another port");

        Assert.True(rig.Engine.Counters.Established >= 3, $"established {rig.Engine.Counters.Established}");
        Assert.Equal(2, rig.Engine.Conntrack.Counters.Entries);
    }

    /// <summary>
    /// A segment of a connection the table does not know (open before xdpnet started) is picked up as Linux's conntrack
    /// does with nf_conntrack_tcp_loose, but only where policy would allow it as a new flow; a first packet no
    /// connection can start with (a SYN-ACK) stays conntrack-invalid.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnUnknownMidStreamAckIsPickedUpOnlyWherePolicyAllowsANewFlow(bool ipv6)
    {
        using var rig = new PolicyRig(WebL4ClientEgress);
        AssertTx(rig.Run(Tcp(Cli, Web, 40000, 80, Ack, ipv6, sequence: 1001, acknowledgment: 5001), Cli), Web, "mid-stream ACK client -> web:80");
        Assert.Equal(1, rig.Engine.Counters.PickedUp);
        Assert.Equal(1, rig.Engine.Conntrack.Counters.Entries);
        AssertTx(rig.Run(Tcp(Web, Cli, 80, 40000, Ack, ipv6, sequence: 5001, acknowledgment: 1001), Web), Cli, "web's answer on the picked-up connection");
        AssertDrop(rig.Run(Tcp(Cli, Web, 40001, 81, Ack, ipv6, sequence: 1001, acknowledgment: 5001), Cli), DropReason.PolicyDefaultDenied, "mid-stream ACK client -> web:81");
        AssertDrop(rig.Run(Tcp(Cli, Web, 40002, 80, SynAck, ipv6), Cli), DropReason.ConntrackInvalid, "SYN-ACK opening client -> web:80");
        Assert.Equal(1, rig.Engine.Conntrack.Counters.Entries);
    }

    /// <summary>
    /// A local endpoint's identity belongs to its interface (the configuration binds each local endpoint to one): a
    /// container behind another interface that writes client's address as its source must not be let in as client.
    /// Cilium drops such packets at the source endpoint (source IP verification); either way they must not pass web's
    /// ingress policy.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void APacketFromOneLocalInterfaceUsingAnotherEndpointsAddressDoesNotGetThatEndpointsIdentity(bool ipv6)
    {
        using var rig = new PolicyRig(WebL4ClientEgress);
        var spoofed = rig.Run(Tcp(Oth, Web, 40000, 80, Syn, ipv6, sourceAddress: Address(Cli, ipv6)), Oth);
        Assert.True(spoofed.Verdict == Verdict.Drop, $"other's SYN with client's source address to web:80: {spoofed}");
        Assert.Equal(0, rig.Engine.Conntrack.Counters.Created);
    }

    /// <summary>
    /// Between endpoints no policy selects, a connection met mid-stream (xdpnet restarted, or a reload loaded the first
    /// policy with an empty table) goes on: both directions are picked up, as Linux's conntrack would.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AMidStreamSegmentOfAnUnknownConnectionIsPickedUpWhereNoPolicySelects(bool ipv6)
    {
        using var rig = new PolicyRig("""[ { "endpointSelector": { "matchLabels": { "app": "nobody" } }, "ingress": [ {} ] } ]""");
        AssertTx(rig.Run(Tcp(Cli, Oth, 40000, 80, Ack, ipv6, sequence: 1001, acknowledgment: 5001), Cli), Oth, "client -> other mid-stream ACK");
        AssertTx(rig.Run(Tcp(Up, Oth, 40001, 80, Ack, ipv6, sequence: 1001, acknowledgment: 5001), Up), Oth, "remote -> other mid-stream ACK");
        Assert.Equal(2, rig.Engine.Counters.PickedUp);
        AssertTx(rig.Run(Tcp(Cli, Oth, 40002, 80, Syn, ipv6), Cli), Oth, "client -> other SYN");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFlowIsCreatedOnlyWhenItsFirstPacketIsTransmitted(bool ipv6)
    {
        using var rig = new PolicyRig("""
            [ { "endpointSelector": { "matchLabels": { "app": "web" } },
                "ingress": [ { "fromEndpoints": [ { "matchLabels": { "app": "client" } } ],
                               "toPorts": [ { "ports": [ { "port": "80", "protocol": "TCP" } ] } ] } ] },
              { "endpointSelector": { "matchLabels": { "app": "client" } },
                "egress": [ { "toEndpoints": [ { "matchLabels": { "app": "web" } } ] },
                            { "toCIDR": [ "198.18.0.0/15", "2001:db8::/32" ] } ] } ]
            """);
        var ct = rig.Engine.Conntrack.Counters;
        // Allowed by client's egress, refused by web's ingress: no flow.
        AssertDrop(rig.Run(Tcp(Cli, Web, 40000, 81, Syn, ipv6), Cli), DropReason.PolicyDefaultDenied, "client -> web:81");
        Assert.Equal(0, ct.Created);
        // Allowed by client's egress (CIDR), then dropped by forwarding (no route): no flow either.
        var unrouted = ipv6 ? "2001:db8:77::1" : "198.18.77.1";
        var frame = Tcp(Cli, Web, 40001, 80, Syn, ipv6);
        var eth = PacketBuilder.Ethernet(HostMacs[Cli], ContainerMacs[Cli]);
        frame = (ipv6 ? eth.Ipv6(V6(Cli), unrouted) : eth.Ipv4(V4(Cli), unrouted)).Tcp(40001, 80, Syn, 1000).Build();
        var result = rig.Run(frame, Cli);
        Assert.NotEqual(Verdict.Tx, result.Verdict);
        Assert.Equal(0, ct.Created);
        Assert.Equal(0, rig.Engine.Counters.FlowsCreated);
        // Sent: one flow.
        AssertTx(rig.Run(Tcp(Cli, Web, 40002, 80, Syn, ipv6), Cli), Web, "client -> web:80");
        Assert.Equal(1, ct.Created);
        Assert.Equal(1, ct.Entries);
        Assert.Equal(1, rig.Engine.Counters.FlowsCreated);
        var flow = Assert.Single(rig.Engine.Conntrack.Snapshot(Environment.TickCount64));
        Assert.Equal(IPAddress.Parse(Address(Cli, ipv6)), flow.Source);
        Assert.Equal(IPAddress.Parse(Address(Web, ipv6)), flow.Destination);
        Assert.Equal((40002, 80), ((int)flow.SourcePort, (int)flow.DestinationPort));
    }

    [Fact]
    public void AnIngressDenyRuleWinsOverAnAllowAndIsCountedAsPolicyDenied()
    {
        using var rig = new PolicyRig("""
            - endpointSelector: { matchLabels: { app: web } }
              ingress:
                - fromEndpoints: [ { matchLabels: { app: client } } ]
              ingressDeny:
                - fromEndpoints: [ { matchLabels: { app: client } } ]
                  toPorts: [ { ports: [ { port: "81", protocol: TCP } ] } ]
            """, ".yaml");
        AssertTx(rig.Run(Tcp(Cli, Web, 40000, 80, Syn, false), Cli), Web, "client -> web:80");
        AssertDrop(rig.Run(Tcp(Cli, Web, 40001, 81, Syn, false), Cli), DropReason.PolicyDenied, "client -> web:81 (deny)");
        Assert.Equal(1, rig.Engine.Counters.Denied);
    }

    /// <summary>
    /// A VXLAN segment with two local members m1 (web) and m2 (other): unknown unicast from the overlay is copied to m1
    /// and the original goes to m2; the copy to m1 meets web's ingress policy.
    /// </summary>
    [Theory]
    [InlineData(80, true)]
    [InlineData(81, false)]
    public void FloodedCopiesToALocalMemberMeetItsIngressPolicy(int port, bool allowed)
    {
        using var dir = new PolicyRigDirectory();
        var policy = dir.Write("web.json", """
            [ { "endpointSelector": { "matchLabels": { "app": "web" } },
                "ingress": [ { "fromEndpoints": [ { "matchLabels": { "app": "client" } } ],
                               "toPorts": [ { "ports": [ { "port": "80", "protocol": "TCP" } ] } ] } ] } ]
            """);
        const string upMac = "02:00:00:00:0a:00", bMac = "02:00:00:00:0b:00", remoteMac = "02:00:00:00:d1:01";
        var config = new HostConfig
        {
            Node = new NodeConfig { Name = "vtep" },
            Interfaces =
            [
                new InterfaceConfig { Name = "up", Role = "uplink", Mac = upMac },
                new InterfaceConfig { Name = "m1", Role = "local", Mac = "02:00:00:00:0a:01" },
                new InterfaceConfig { Name = "m2", Role = "local", Mac = "02:00:00:00:0a:02" },
            ],
            Routes = [new RouteConfig { Prefix = "198.18.0.2/32", Interface = "up", NextHopMac = bMac }],
            Vxlan = new VxlanConfig
            {
                Vtep = "198.18.0.1",
                Segments = [new VxlanSegmentConfig { Vni = 42, Interfaces = ["m1", "m2"], Flood = ["198.18.0.2"] }],
            },
            Endpoints =
            [
                new EndpointConfig { Name = "web", Interface = "m1", Addresses = ["198.18.42.1"], Labels = ["app=web"] },
                new EndpointConfig { Name = "other", Interface = "m2", Addresses = ["198.18.42.2"], Labels = ["app=other"] },
                new EndpointConfig { Name = "remote", Addresses = ["198.18.42.9"], Labels = ["app=client"] },
            ],
            Policy = new PolicyConfig { Files = [policy] },
        };
        var pipeline = HostPipelineBuilder.Build(config, PolicyRig.Interfaces(config), hostAddresses: [],
            interfaceAddresses: new Dictionary<string, IReadOnlyList<IPAddress>>());
        var inner = PacketBuilder.Ethernet("02:00:00:00:99:99", remoteMac).Ipv4("198.18.42.9", "198.18.42.1").Tcp(40000, (ushort)port, Syn, 1000).Build();
        var outer = PacketBuilder.Ethernet(upMac, bMac).Ipv4("198.18.0.2", "198.18.0.1")
            .Udp(49152, 4789, [.. VxlanRig.VxlanBytes(42), .. inner]).Build();

        var emitter = new RecordingEmitter();
        using var rig = new PolicyRig(WebL4ClientEgress);
        rig.Pipeline = pipeline;
        var result = rig.Run(outer, 0, emitter);

        var copy = Assert.Single(emitter.Copies);
        Assert.Equal(1, copy.Egress); // m1, web
        if (allowed)
        {
            Assert.Equal(Verdict.Tx, copy.Verdict);
            Assert.Equal(inner, copy.Bytes);
        }
        else
        {
            Assert.Equal((Verdict.Drop, DropReason.PolicyDefaultDenied), (copy.Verdict, copy.Reason));
        }
        Assert.Equal(2, result.Egress); // the original went to m2
        Assert.True(pipeline.Policy!.Counters.DefaultDenied >= (allowed ? 0 : 1));
    }

    [Fact]
    public void ThePipelineAllocatesNothingPerPacketWithPolicyOn()
    {
        using var rig = new PolicyRig(WebL4ClientEgress);
        // An established connection, new allowed flows, denied flows, pings and stray ACKs, all prebuilt.
        AssertTx(rig.Run(Tcp(Cli, Web, 41000, 80, Syn, false, sequence: 1000), Cli), Web, "SYN");
        AssertTx(rig.Run(Tcp(Web, Cli, 80, 41000, SynAck, false, sequence: 5000, acknowledgment: 1001), Web), Cli, "SYN-ACK");
        var frames = new List<(byte[] Frame, int Ingress)>
        {
            (Tcp(Cli, Web, 41000, 80, Ack, false, sequence: 1001, acknowledgment: 5001), Cli),
            (Tcp(Web, Cli, 80, 41000, Ack, false, sequence: 5001, acknowledgment: 1001), Web),
            (Tcp(Oth, Web, 41001, 80, Syn, false), Oth),
            (Tcp(Cli, Oth, 41002, 80, Syn, true), Cli),
            (Ping(Cli, Web, true), Cli),
            (Tcp(Cli, Web, 41003, 80, Ack, true), Cli),
            (Tcp(Up, Web, 41004, 80, Syn, true), Up),
        };
        for (ushort p = 0; p < 512; p++) frames.Add((Tcp(Cli, Web, (ushort)(20000 + p), 80, Syn, p % 2 == 0), Cli));
        var array = frames.ToArray();

        for (var round = 0; round < 3; round++)
        {
            foreach (var (frame, ingress) in array) rig.RunQuiet(frame, ingress, null, out _, out _);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 20; round++)
        {
            foreach (var (frame, ingress) in array) rig.RunQuiet(frame, ingress, null, out _, out _);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(rig.Engine.Counters.Established > 0 && rig.Engine.Counters.DefaultDenied > 0);
    }
}

/// <summary>A temporary directory for policy files, deleted on Dispose.</summary>
internal sealed class PolicyRigDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("xdpnet-policy-test-").FullName;

    public string Write(string name, string content)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, content);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is harmless.
        }
    }
}

