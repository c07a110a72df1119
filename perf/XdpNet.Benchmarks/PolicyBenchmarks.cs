using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using Xdp.Filter.Policy;
using Xdp.Runtime.Wire;

namespace XdpNet.Benchmarks;

/// <summary>
/// The policy verdict per packet as the data plane asks it (identity LPM of the peer, then the compiled map) with
/// 0 to 100,000 rules selecting the endpoint: N non-matching fromCIDR /32 rules on distinct ports, plus the rule that
/// allows the client. The studies' question: does the per-packet cost grow with the rule count (iptables) or stay
/// flat (eBPF maps)? Half the packets come from the allowed client, half from CIDR peers of random rules.
/// </summary>
[MemoryDiagnoser]
public class PolicyBenchmarks
{
    private const int Batch = 1024;
    private CompiledPolicy _policy = null!;
    private int _web;
    private uint[] _peers = [];
    private ushort[] _ports = [];

    [Params(0, 10, 100, 1_000, 10_000, 100_000)]
    public int Rules { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var json = new StringBuilder("[{\"endpointSelector\":{\"matchLabels\":{\"app\":\"web\"}},\"ingress\":[");
        json.Append("{\"fromEndpoints\":[{\"matchLabels\":{\"app\":\"client\"}}],\"toPorts\":[{\"ports\":[{\"port\":\"80\",\"protocol\":\"TCP\"}]}]}");
        for (var i = 0; i < Rules; i++)
        {
            json.Append(CultureInfo.InvariantCulture,
                $",{{\"fromCIDR\":[\"{Peer(i)}/32\"],\"toPorts\":[{{\"ports\":[{{\"port\":\"{1000 + (i % 60000)}\",\"protocol\":\"TCP\"}}]}}]}}");
        }
        json.Append("]}]");
        var rules = PolicyLoader.Parse(json.ToString(), "bench.json");
        var endpoints = new List<PolicyEndpoint>
        {
            new(IPAddress.Parse("198.18.42.1"), new Dictionary<string, string> { ["app"] = "web" }),
            new(IPAddress.Parse("198.18.42.2"), new Dictionary<string, string> { ["app"] = "client" }, Local: false),
        };
        _policy = PolicyCompiler.Compile(rules, endpoints, []);
        _web = 0;
        var rng = new Random(7);
        _peers = new uint[Batch];
        _ports = new ushort[Batch];
        for (var i = 0; i < Batch; i++)
        {
            if (i % 2 == 0 || Rules == 0)
            {
                _peers[i] = Address("198.18.42.2");
                _ports[i] = 80;
            }
            else
            {
                var r = rng.Next(Rules);
                _peers[i] = Address(Peer(r));
                _ports[i] = (ushort)(1000 + (r % 60000));
            }
        }
    }

    /// <summary>Distinct peers: 198.19.0.0/16 first, then 198.18.64.0 upwards (clear of the endpoints in 198.18.42.0/24).</summary>
    private static string Peer(int i) => i < 65536
        ? string.Create(CultureInfo.InvariantCulture, $"198.19.{i >> 8}.{i & 0xFF}")
        : string.Create(CultureInfo.InvariantCulture, $"198.18.{64 + ((i - 65536) >> 8)}.{(i - 65536) & 0xFF}");

    private static uint Address(string text)
    {
        Span<byte> bytes = stackalloc byte[4];
        IPAddress.Parse(text).TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32LittleEndian(bytes); // network order as read from memory
    }

    /// <summary>Per packet: the peer's identity from its source address, then the web endpoint's ingress verdict.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int Verdict()
    {
        var identities = _policy.Identities;
        var map = _policy.Map;
        var allowed = 0;
        for (var i = 0; i < Batch; i++)
        {
            var peer = identities.LookupV4(_peers[i]);
            if (map.Lookup(_web, PolicyDirection.Ingress, peer, IpProtocol.Tcp, _ports[i]).Allowed) allowed++;
        }
        return allowed;
    }
}
