namespace XdpNet.Configuration;

// The per-host configuration file, bound by Microsoft.Extensions.Configuration. These are plain
// settings classes: validation and conversion into data-plane tables happen elsewhere
// (HostConfigValidator, pipeline builders), never on the hot path. The README documents every key.

public sealed class HostConfig
{
    public NodeConfig Node { get; set; } = new();
    public List<InterfaceConfig> Interfaces { get; set; } = [];
    public UmemConfig Umem { get; set; } = new();
    public RingConfig Rings { get; set; } = new();
    public BusyPollConfig BusyPoll { get; set; } = new();
    public List<RouteConfig> Routes { get; set; } = [];
    public IlaConfig Ila { get; set; } = new();
    public VxlanConfig Vxlan { get; set; } = new();
    public List<EndpointConfig> Endpoints { get; set; } = [];
    public PolicyConfig Policy { get; set; } = new();
    public EtcdConfig Etcd { get; set; } = new();
    public StatsConfig Stats { get; set; } = new();
}

public sealed class NodeConfig
{
    public string Name { get; set; } = "xdpnet";
    /// <summary>CPU the worker thread is pinned to; null = not pinned.</summary>
    public int? Cpu { get; set; }
    /// <summary>Where the running instance keeps its state (endpoints added through the control socket); default /var/lib/xdpnet/&lt;node&gt;.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>The state directory in force: the configured one, else /var/lib/xdpnet/&lt;node&gt;.</summary>
    public string StateDirectoryOrDefault() => StateDirectory ?? Path.Combine("/var/lib/xdpnet", Name);
}

public sealed class InterfaceConfig
{
    public string Name { get; set; } = "";
    /// <summary>"uplink" (underlay towards other hosts) or "local" (host end of a container veth).</summary>
    public string Role { get; set; } = "local";
    public List<int> Queues { get; set; } = [0];
    /// <summary>"auto" (zero-copy where the driver supports it, else copy), "copy" or "zerocopy".</summary>
    public string Bind { get; set; } = "auto";
    /// <summary>"auto" (native, falling back to generic), "native" or "generic".</summary>
    public string Attach { get; set; } = "auto";
    /// <summary>Interface MAC; read from the kernel when absent (replay needs it when the interface does not exist).</summary>
    public string? Mac { get; set; }
    /// <summary>The interface's MTU for the data plane's checks; absent = the kernel's (1500 offline).</summary>
    public int? Mtu { get; set; }
    public SteeringConfig Steering { get; set; } = new();
}

public sealed class SteeringConfig
{
    /// <summary>"routed" (IP packets to a route prefix, except the host's own addresses), "all", or "rules".</summary>
    public string Mode { get; set; } = "routed";
    /// <summary>Mode "rules": ethertypes owned outright, e.g. "0x86dd".</summary>
    public List<string> Ethertypes { get; set; } = [];
    /// <summary>Mode "rules": IPv4/IPv6 destination prefixes owned.</summary>
    public List<string> Prefixes { get; set; } = [];
    /// <summary>Mode "rules": UDP destination ports owned.</summary>
    public List<int> UdpPorts { get; set; } = [];
    /// <summary>Destination prefixes always left to the kernel (the host's own addresses are added automatically).</summary>
    public List<string> Exclude { get; set; } = [];
}

public sealed class UmemConfig
{
    /// <summary>Bytes per frame (chunk); a power of two between 2048 and the page size.</summary>
    public int FrameSize { get; set; } = 4096;
    public int Frames { get; set; } = 16384;
    /// <summary>Bytes reserved before each received packet for encapsulation headers.</summary>
    public int Headroom { get; set; } = 256;
}

public sealed class RingConfig
{
    public int Rx { get; set; } = 2048;
    public int Tx { get; set; } = 2048;
    public int Fill { get; set; } = 4096;
    public int Completion { get; set; } = 2048;
    /// <summary>Descriptors handled per ring operation (1..256).</summary>
    public int Batch { get; set; } = 64;
    /// <summary>XDP_MAX_TX_SKB_BUDGET for copy-mode TX (Linux 6.17+); null = kernel default (32).</summary>
    public int? TxSkbBudget { get; set; }
}

public sealed class BusyPollConfig
{
    public bool Enabled { get; set; }
    /// <summary>SO_BUSY_POLL in microseconds.</summary>
    public int TimeoutUs { get; set; } = 20;
    /// <summary>SO_BUSY_POLL_BUDGET.</summary>
    public int Budget { get; set; } = 64;
    /// <summary>SO_PREFER_BUSY_POLL.</summary>
    public bool Prefer { get; set; } = true;
}

public sealed class RouteConfig
{
    /// <summary>IPv4 or IPv6 prefix, e.g. "198.18.2.0/24" or "2001:db8:2::/64".</summary>
    public string Prefix { get; set; } = "";
    /// <summary>Egress interface name (must be one of Interfaces).</summary>
    public string Interface { get; set; } = "";
    /// <summary>Next-hop MAC; when absent it is resolved from the kernel's neighbour table.</summary>
    public string? NextHopMac { get; set; }
    /// <summary>Next-hop address for the neighbour lookup; absent = the packet's destination (on-link).</summary>
    public string? Gateway { get; set; }
}

public sealed class StatsConfig
{
    /// <summary>Unix socket the running instance serves counters on; default /run/xdpnet/&lt;node&gt;.sock.</summary>
    public string? Socket { get; set; }
}

/// <summary>
/// IPv6 Identifier-Locator Addressing (draft-herbert-intarea-ila). Each domain is one SIR prefix (what applications
/// see), this host's locator for it, and the identifier -> locator mappings of the domain.
/// </summary>
public sealed class IlaConfig
{
    public List<IlaDomainConfig> Domains { get; set; } = [];
    /// <summary>"drop" (count as ila-no-mapping) or "forward" (untranslated, towards an ILA router: ILA-N -> ILA-R).</summary>
    public string Miss { get; set; } = "drop";

    /// <summary>
    /// In etcd mode, the live mapping tables the pipeline builder takes instead of building new ones (set by
    /// <see cref="Host.ClusterSource.Merge"/>; not a setting: internal, so never bound from the file).
    /// </summary>
    internal Host.ClusterIlaMappings? ClusterMappings { get; set; }
}

public sealed class IlaDomainConfig
{
    /// <summary>The /64 SIR prefix, e.g. "2001:db8:5151::/64".</summary>
    public string SirPrefix { get; set; } = "";
    /// <summary>This host's /64 locator in the domain: ILA addresses to it are translated back to SIR addresses.</summary>
    public string Locator { get; set; } = "";
    /// <summary>"neutral-map" (default), "neutral-map-auto", "adjust-transport" or "no-action".</summary>
    public string ChecksumMode { get; set; } = "neutral-map";
    public List<IlaMappingConfig> Mappings { get; set; } = [];
}

public sealed class IlaMappingConfig
{
    /// <summary>The 64-bit identifier as four 16-bit hex groups, e.g. "1:0:0:2".</summary>
    public string Identifier { get; set; } = "";
    /// <summary>Locator of the host where the identifier lives, e.g. "2001:db8:b::" (upper 64 bits).</summary>
    public string Locator { get; set; } = "";
    /// <summary>Overrides the domain's checksum mode for this mapping.</summary>
    public string? ChecksumMode { get; set; }
}

/// <summary>
/// VXLAN (RFC 7348): this host is a VTEP; each segment is a tenant L2 network (one VNI) of local member interfaces,
/// extended to remote VTEPs. Enabled when <see cref="Segments"/> is not empty.
/// </summary>
public sealed class VxlanConfig
{
    /// <summary>This host's VTEP address (IPv4 or IPv6): an address of the uplink in the kernel.</summary>
    public string? Vtep { get; set; }
    /// <summary>UDP destination port (IANA 4789; the kernel's default without dstport is 8472).</summary>
    public int Port { get; set; } = 4789;
    /// <summary>Outer UDP source ports are chosen from this range by a hash of the inner flow (the kernel's default range).</summary>
    public int SourcePortMin { get; set; } = 32768;
    public int SourcePortMax { get; set; } = 60999;
    /// <summary>Compute the outer UDP checksum over an IPv4 underlay (zero otherwise); an IPv6 underlay always has it.</summary>
    public bool Ipv4UdpChecksum { get; set; }
    /// <summary>Outer TTL / hop limit.</summary>
    public int Ttl { get; set; } = 64;
    /// <summary>Learned FDB entries expire after this many seconds without traffic.</summary>
    public int AgeingSeconds { get; set; } = 300;
    /// <summary>Capacity of the learned FDB (all segments), at most 1048576.</summary>
    public int MaxLearned { get; set; } = 65536;
    /// <summary>VXLAN-GBP: send each member's Group Policy ID and read the sender's on receipt (the kernel's <c>gbp</c>).</summary>
    public bool Gbp { get; set; }
    public List<VxlanSegmentConfig> Segments { get; set; } = [];
}

public sealed class VxlanSegmentConfig
{
    /// <summary>VXLAN Network Identifier, 0..16777215.</summary>
    public int Vni { get; set; } = -1;
    /// <summary>Member interfaces: names from Interfaces with Role "local".</summary>
    public List<string> Interfaces { get; set; } = [];
    /// <summary>Learn remote MACs (inner source -> outer source VTEP) from decapsulated frames.</summary>
    public bool Learning { get; set; } = true;
    /// <summary>Remote VTEPs that receive broadcast, unknown unicast and multicast frames (head-end replication).</summary>
    public List<string> Flood { get; set; } = [];
    /// <summary>Static FDB entries: MAC -> remote VTEP.</summary>
    public List<VxlanFdbConfig> Fdb { get; set; } = [];
    /// <summary>GBP Group Policy ID (0..65535) per member interface name.</summary>
    public Dictionary<string, int> GroupPolicy { get; set; } = [];
}

public sealed class VxlanFdbConfig
{
    public string Mac { get; set; } = "";
    public string Vtep { get; set; } = "";
}

/// <summary>
/// An endpoint (container) and the labels policies select it by. With an <see cref="Interface"/> it is local (behind
/// one of this host's interfaces, its policy enforced here); without, it is a remote endpoint whose addresses and labels
/// give its traffic an identity here.
/// </summary>
public sealed class EndpointConfig
{
    public string Name { get; set; } = "";
    /// <summary>Host end of a local container's veth (an Interfaces entry with Role "local"); empty for a remote endpoint.</summary>
    public string? Interface { get; set; }
    /// <summary>IPv4 and IPv6 addresses of the endpoint.</summary>
    public List<string> Addresses { get; set; } = [];
    /// <summary>
    /// Labels as "key=value" strings, e.g. "app=web" or "k8s:app=web" (a list, not an object: configuration keys cannot
    /// hold the ':' of Cilium's label sources).
    /// </summary>
    public List<string> Labels { get; set; } = [];
}

/// <summary>Network policy (Cilium's L3/L4 language) and connection tracking. Enforced when <see cref="Files"/> is not empty.</summary>
public sealed class PolicyConfig
{
    /// <summary>Policy files, directories or glob patterns (JSON or YAML), relative to the configuration file's directory.</summary>
    public List<string> Files { get; set; } = [];
    /// <summary>
    /// Ordered 5-tuple rules (iptables-style, first match wins) applied to every new flow the data plane forwards,
    /// in front of the endpoint policy: "deny" drops, "allow" hands the flow on to the endpoint policy.
    /// </summary>
    public List<FiveTupleRuleConfig> Rules { get; set; } = [];
    /// <summary>What a new flow no rule matches gets: "allow" (default) or "deny".</summary>
    public string RulesDefault { get; set; } = "allow";
    public ConntrackConfig Conntrack { get; set; } = new();
}

/// <summary>One ordered rule. Absent fields match anything; a rule naming no address applies to IPv4 and IPv6.</summary>
public sealed class FiveTupleRuleConfig
{
    /// <summary>Source prefix, e.g. "198.18.0.0/16" (a bare address is a host prefix).</summary>
    public string? Source { get; set; }
    public string? Destination { get; set; }
    /// <summary>"80" or "1024-65535".</summary>
    public string? SourcePorts { get; set; }
    public string? DestinationPorts { get; set; }
    /// <summary>"tcp", "udp", "icmp", "icmpv6", "sctp", a protocol number, or "any".</summary>
    public string Protocol { get; set; } = "any";
    /// <summary>"allow" or "deny".</summary>
    public string Action { get; set; } = "";
}

/// <summary>Connection tracking: table size and timeouts (seconds; each packet of a flow restarts its timer).</summary>
public sealed class ConntrackConfig
{
    /// <summary>Slots of the table, a power of two (at most about 90% fill before the eviction rule applies).</summary>
    public int Capacity { get; set; } = 65536;
    public int TcpSynSeconds { get; set; } = 60;
    public int TcpEstablishedSeconds { get; set; } = 21600;
    public int TcpHalfClosedSeconds { get; set; } = 120;
    public int TcpClosingSeconds { get; set; } = 10;
    public int UdpSeconds { get; set; } = 60;
    public int UdpRepliedSeconds { get; set; } = 180;
    public int IcmpSeconds { get; set; } = 30;
}

/// <summary>
/// Cluster state from etcd (docs/etcd.md): endpoints, ILA mappings, VXLAN FDB and flood entries and policies under
/// <see cref="Prefix"/> are merged into this file's configuration and watched. Enabled when <see cref="Endpoints"/> is set.
/// </summary>
public sealed class EtcdConfig
{
    /// <summary>etcd client URLs, e.g. "http://198.18.255.1:2379" (the v3 JSON gateway).</summary>
    public List<string> Endpoints { get; set; } = [];
    public string Prefix { get; set; } = "/xdpnet/";
    /// <summary>Publish this host (hosts/&lt;node&gt;) and its local endpoints under a lease.</summary>
    public bool Publish { get; set; } = true;
    /// <summary>Lease TTL: a dead host's entries expire this long after its last refresh.</summary>
    public int LeaseSeconds { get; set; } = 10;
    /// <summary>How long `run` waits for the first snapshot before starting with the file alone (it keeps trying).</summary>
    public int StartTimeoutSeconds { get; set; } = 10;
}
