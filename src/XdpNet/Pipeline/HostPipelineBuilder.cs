using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Xdp.Ila;
using Xdp.Runtime.Neighbors;
using Xdp.Runtime.Routing;
using Xdp.Runtime.Wire;
using Xdp.Vxlan;
using Xdp.Filter.Classifier;
using Xdp.Filter.Conntrack;
using Xdp.Filter.Policy;
using Xdp.Filter.Stage;
using XdpNet.Configuration;

namespace XdpNet.Pipeline;

/// <summary>Compiles a validated configuration into the pipeline's tables (off the hot path).</summary>
public static class HostPipelineBuilder
{
    /// <summary>Routes and interfaces into <see cref="ForwardingTables"/>; route interfaces are looked up by name.</summary>
    public static ForwardingTables BuildForwarding(HostConfig config, IReadOnlyList<ResolvedInterface> interfaces, NeighbourTable? neighbours = null)
    {
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < interfaces.Count; i++) byName[interfaces[i].Name] = i;

        var builder = new RouteTableBuilder();
        var targets = new List<RouteTarget>(config.Routes.Count);
        for (var r = 0; r < config.Routes.Count; r++)
        {
            var route = config.Routes[r];
            if (!byName.TryGetValue(route.Interface, out var egress))
                throw new ArgumentException($"Routes:{r}:Interface: '{route.Interface}' is not a configured interface");
            RouteTarget target;
            if (route.NextHopMac is not null && MacAddress.TryParse(route.NextHopMac, out var mac))
                target = RouteTarget.Static(egress, mac);
            else if (route.Gateway is not null)
                target = RouteTarget.Via(egress, IPAddress.Parse(route.Gateway));
            else
                target = RouteTarget.OnLink(egress);
            builder.Add(IPNetwork.Parse(route.Prefix), targets.Count);
            targets.Add(target);
        }

        var fwdInterfaces = new ForwardingInterface[interfaces.Count];
        for (var i = 0; i < interfaces.Count; i++)
            fwdInterfaces[i] = new ForwardingInterface(interfaces[i].Name, interfaces[i].KernelIndex, interfaces[i].Mac, interfaces[i].Mtu);
        var tables = new ForwardingTables(builder.Build(), targets.ToArray(), fwdInterfaces, neighbours);
        return neighbours is null ? tables : tables.WithResolvedNeighbours(neighbours);
    }

    /// <param name="interfaceAddresses">The host's own addresses per interface name, answered by the neighbour proxy;
    /// null reads them from the kernel (an interface that does not exist, as in replay, has none).</param>
    /// <param name="allocator">Identity numbers to keep (a reload passes the running one); null starts afresh.</param>
    public static HostPipeline Build(HostConfig config, IReadOnlyList<ResolvedInterface> interfaces, NeighbourTable? neighbours = null,
        IReadOnlyList<IPAddress>? hostAddresses = null, IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? interfaceAddresses = null,
        IdentityAllocator? allocator = null)
    {
        var tables = BuildForwarding(config, interfaces, neighbours);
        var ila = BuildIla(config, hostAddresses ?? []);
        var pipeline = new HostPipeline(tables, ila, config.Ila.Domains.Count > 0, new NeighborResponderStage(BuildNeighbors(config, tables, ila.Translator, interfaceAddresses)));
        if (config.Vxlan.Segments.Count > 0)
        {
            var vxlanTables = BuildVxlan(config, tables);
            pipeline.Vxlan = new VxlanStage(vxlanTables, new LearnedFdb(config.Vxlan.MaxLearned, vxlanTables.Settings.AgeingMilliseconds), new VxlanCounters());
            pipeline.VxlanEnabled = true;
        }
        if (config.Policy.Files.Count > 0 || config.Policy.Rules.Count > 0)
        {
            allocator ??= new IdentityAllocator();
            var policy = BuildPolicy(config, hostAddresses ?? [], allocator);
            var engine = new PolicyEngine(policy, new ConntrackTable(BuildConntrack(config.Policy.Conntrack))) { Allocator = allocator };
            engine.Install(policy, EndpointInterfaces(config, tables), tables.Interfaces.Length);
            engine.InstallRules(BuildRules(config.Policy));
            var local = LocalInterfaces(config, tables);
            engine.SetLocalInterfaces(local);
            pipeline.Policy = engine;
            pipeline.LocalInterfaces = local;
        }
        return pipeline;
    }

    /// <summary>A label written "key=value" ("k8s:app=web": the key keeps its source prefix for the policy loader to strip).</summary>
    public static bool TryParseLabel(string text, out string key, out string value)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        key = eq > 0 ? text[..eq].Trim() : "";
        value = eq > 0 ? text[(eq + 1)..].Trim() : "";
        return key.Length > 0 && !key.Contains(' ', StringComparison.Ordinal);
    }

    /// <summary>The configured endpoints as policy endpoints: one per address, local when they name an interface.</summary>
    public static List<PolicyEndpoint> BuildPolicyEndpoints(HostConfig config)
    {
        var list = new List<PolicyEndpoint>();
        foreach (var e in config.Endpoints)
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var l in e.Labels)
            {
                if (TryParseLabel(l, out var key, out var value)) labels[key] = value;
            }
            foreach (var a in e.Addresses) list.Add(new PolicyEndpoint(IPAddress.Parse(a), labels, Local: !string.IsNullOrEmpty(e.Interface)));
        }
        return list;
    }

    /// <summary>The interface index of each policy endpoint (in <see cref="BuildPolicyEndpoints"/> order); -1 for remote ones.</summary>
    public static int[] EndpointInterfaces(HostConfig config, ForwardingTables tables)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var fwd = tables.Interfaces;
        for (var i = 0; i < fwd.Length; i++) index[fwd[i].Name] = i;
        var list = new List<int>();
        foreach (var e in config.Endpoints)
        {
            var i = !string.IsNullOrEmpty(e.Interface) && index.TryGetValue(e.Interface, out var found) ? found : -1;
            foreach (var _ in e.Addresses) list.Add(i);
        }
        return [.. list];
    }

    /// <summary>Loads the policy files and compiles them against the endpoints and the host's addresses.</summary>
    /// <exception cref="PolicyLoadException">A file does not parse or validate.</exception>
    public static CompiledPolicy BuildPolicy(HostConfig config, IEnumerable<IPAddress> hostAddresses, IdentityAllocator allocator)
    {
        var rules = config.Policy.Files.Count == 0 ? [] : PolicyLoader.Load(config.Policy.Files);
        return PolicyCompiler.Compile(rules, BuildPolicyEndpoints(config), hostAddresses, allocator);
    }

    /// <summary>The ordered 5-tuple rules compiled for the data plane; null when there are none.</summary>
    public static FiveTupleRuleSet? BuildRules(PolicyConfig policy)
    {
        if (policy.Rules.Count == 0) return null;
        var rules = new List<FiveTupleRule>(policy.Rules.Count);
        foreach (var r in policy.Rules)
        {
            var action = r.Action == "deny" ? RuleAction.Deny : RuleAction.Allow;
            var protocol = ParseProtocol(r.Protocol);
            var sourcePorts = ParsePorts(r.SourcePorts);
            var destinationPorts = ParsePorts(r.DestinationPorts);
            AddressPrefix? source = r.Source is null ? null : AddressPrefix.Parse(r.Source);
            AddressPrefix? destination = r.Destination is null ? null : AddressPrefix.Parse(r.Destination);
            // A rule naming no address stands for an IPv4 and an IPv6 rule at the same place in the order.
            var v6 = source?.IsIPv6 ?? destination?.IsIPv6;
            foreach (var family in v6 is bool f ? [f] : new[] { false, true })
            {
                var any = family ? AddressPrefix.AnyIPv6 : AddressPrefix.AnyIPv4;
                rules.Add(new FiveTupleRule(rules.Count, source ?? any, destination ?? any, sourcePorts, destinationPorts, protocol, action));
            }
        }
        return new FiveTupleRuleSet(rules, policy.RulesDefault == "deny" ? RuleAction.Deny : RuleAction.Allow);
    }

    /// <summary>What is wrong with a rule, field by field (empty when it compiles).</summary>
    public static IEnumerable<(string Field, string Problem)> RuleProblems(FiveTupleRuleConfig rule)
    {
        if (rule.Action is not ("allow" or "deny")) yield return ("Action", $"'{rule.Action}' is not one of \"allow\", \"deny\"");
        bool? v6 = null;
        foreach (var (field, text) in new[] { ("Source", rule.Source), ("Destination", rule.Destination) })
        {
            if (text is null) continue;
            if (!ConfigSyntax.TryParsePrefix(text.Contains('/', StringComparison.Ordinal) ? text : text + (text.Contains(':', StringComparison.Ordinal) ? "/128" : "/32"), out var network, out var problem))
            {
                yield return (field, problem);
                continue;
            }
            var isV6 = network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
            if (v6 is bool other && other != isV6) yield return (field, $"'{text}' is not of the same family as Source");
            v6 = isV6;
        }
        if (ParseProtocolOrNull(rule.Protocol, out _) is false) yield return ("Protocol", $"'{rule.Protocol}' is not a protocol (tcp, udp, icmp, icmpv6, sctp, any, or a number 0..255)");
        if (rule.SourcePorts is not null && !TryParsePorts(rule.SourcePorts, out _)) yield return ("SourcePorts", $"'{rule.SourcePorts}' is not a port or a range (80, 1024-65535)");
        if (rule.DestinationPorts is not null && !TryParsePorts(rule.DestinationPorts, out _)) yield return ("DestinationPorts", $"'{rule.DestinationPorts}' is not a port or a range (80, 1024-65535)");
    }

    private static byte? ParseProtocol(string text) => ParseProtocolOrNull(text, out var p) ? p : null;

    private static bool ParseProtocolOrNull(string text, out byte? protocol)
    {
        protocol = text switch
        {
            "any" => null,
            "tcp" => IpProtocol.Tcp,
            "udp" => IpProtocol.Udp,
            "icmp" => IpProtocol.Icmp,
            "icmpv6" => IpProtocol.Icmpv6,
            "sctp" => (byte)132,
            _ => byte.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : (byte)0,
        };
        return text is "any" or "tcp" or "udp" or "icmp" or "icmpv6" or "sctp"
            || byte.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _);
    }

    private static PortRange ParsePorts(string? text) => text is null ? PortRange.Any : TryParsePorts(text, out var range) ? range : PortRange.Any;

    private static bool TryParsePorts(string text, out PortRange range)
    {
        range = PortRange.Any;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (dash < 0)
        {
            if (!ushort.TryParse(text, System.Globalization.NumberStyles.None, inv, out var port)) return false;
            range = PortRange.Single(port);
            return true;
        }
        if (!ushort.TryParse(text.AsSpan(0, dash), System.Globalization.NumberStyles.None, inv, out var low)
            || !ushort.TryParse(text.AsSpan(dash + 1), System.Globalization.NumberStyles.None, inv, out var high) || high < low) return false;
        range = new PortRange(low, high);
        return true;
    }

    public static ConntrackSettings BuildConntrack(ConntrackConfig c) => new(
        c.Capacity, c.TcpSynSeconds * 1000L, c.TcpEstablishedSeconds * 1000L, c.TcpHalfClosedSeconds * 1000L,
        c.TcpClosingSeconds * 1000L, c.UdpSeconds * 1000L, c.UdpRepliedSeconds * 1000L, c.IcmpSeconds * 1000L);

    /// <summary>Which interface indexes of <paramref name="tables"/> are local (container) interfaces.</summary>
    public static bool[] LocalInterfaces(HostConfig config, ForwardingTables tables)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var iface in config.Interfaces)
        {
            if (iface.Role == "local") names.Add(iface.Name);
        }
        var fwd = tables.Interfaces;
        var local = new bool[fwd.Length];
        for (var i = 0; i < fwd.Length; i++) local[i] = names.Contains(fwd[i].Name);
        return local;
    }

    /// <summary>
    /// The Vxlan section into <see cref="VxlanTables"/>: settings, segments with member interface indexes (by name in
    /// <paramref name="tables"/>), flood lists, static FDB entries and group policy IDs. The uplink is where remote VTEPs
    /// are on-link when no route covers them.
    /// </summary>
    public static VxlanTables BuildVxlan(HostConfig config, ForwardingTables tables)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tables);
        var fwd = tables.Interfaces.ToArray();
        int IndexOf(string name)
        {
            for (var i = 0; i < fwd.Length; i++)
            {
                if (fwd[i].Name == name) return i;
            }
            throw new ArgumentException($"Vxlan: '{name}' is not a configured interface");
        }
        var v = config.Vxlan;
        var uplink = config.Interfaces.Find(i => i.Role == "uplink");
        var settings = new VxlanSettings(
            VtepAddress.Parse(v.Vtep ?? throw new ArgumentException("Vxlan:Vtep is required")),
            (ushort)v.Port, (ushort)v.SourcePortMin, (ushort)v.SourcePortMax, v.Ipv4UdpChecksum, (byte)v.Ttl,
            v.AgeingSeconds * 1000L, v.Gbp, uplink is null ? -1 : IndexOf(uplink.Name));
        var segments = new List<VxlanSegment>(v.Segments.Count);
        var groupPolicy = new Dictionary<int, ushort>();
        foreach (var s in v.Segments)
        {
            var members = s.Interfaces.Select(IndexOf).ToArray();
            var flood = s.Flood.Select(VtepAddress.Parse).Distinct().ToArray();
            var fdb = s.Fdb.Select(e => new StaticFdbEntry(MacAddress.Parse(e.Mac), VtepAddress.Parse(e.Vtep))).ToArray();
            segments.Add(new VxlanSegment((uint)s.Vni, members, flood, s.Learning, fdb));
            foreach (var (name, id) in s.GroupPolicy) groupPolicy[IndexOf(name)] = (ushort)id;
        }
        return new VxlanTables(settings, segments, fwd.Length, groupPolicy);
    }

    /// <summary>
    /// <see cref="BuildNeighbors(ForwardingTables, IlaTranslator, IReadOnlyList{bool}?, IReadOnlyDictionary{string, IReadOnlyList{IPAddress}}?)"/>
    /// with the interfaces that proxy taken from the configuration (role local, see <see cref="SteeringRulesFactory.IsNeighborProxy"/>).
    /// </summary>
    public static NeighborResponderTable BuildNeighbors(HostConfig config, ForwardingTables tables, IlaTranslator translator,
        IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? interfaceAddresses = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tables);
        var fwd = tables.Interfaces;
        var proxy = new bool[fwd.Length];
        for (var i = 0; i < fwd.Length; i++)
        {
            foreach (var iface in config.Interfaces)
            {
                if (iface.Name == fwd[i].Name) proxy[i] = SteeringRulesFactory.IsNeighborProxy(iface);
            }
        }
        return BuildNeighbors(tables, translator, proxy, interfaceAddresses);
    }

    /// <summary>
    /// The neighbour proxy's tables: per interface whether it proxies (null: every interface), its MAC, the host's
    /// own IPv6 addresses on it (link-local included: the kernel no longer sees solicitations for them once steering
    /// owns the solicited-node group), the routes with their egress interfaces, and the ILA SIR prefixes.
    /// </summary>
    public static NeighborResponderTable BuildNeighbors(ForwardingTables tables, IlaTranslator translator, IReadOnlyList<bool>? proxy,
        IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? interfaceAddresses)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(translator);
        interfaceAddresses ??= KernelAddressesByInterface();
        var fwd = tables.Interfaces;
        var list = new List<NeighborProxyInterface>(fwd.Length);
        for (var i = 0; i < fwd.Length; i++)
        {
            var own = new List<UInt128>();
            var ownV4 = new List<uint>();
            if (interfaceAddresses.TryGetValue(fwd[i].Name, out var addresses))
            {
                foreach (var a in addresses)
                {
                    if (a.AddressFamily == AddressFamily.InterNetworkV6) own.Add(NetworkOrder.AddressV6(a));
                    else if (a.AddressFamily == AddressFamily.InterNetwork) ownV4.Add(NetworkOrder.AddressV4(a));
                }
            }
            list.Add(new NeighborProxyInterface(proxy is null || (i < proxy.Count && proxy[i]), fwd[i].Mac, own, ownV4));
        }
        var targets = tables.Targets;
        var egress = new int[targets.Length];
        for (var t = 0; t < targets.Length; t++) egress[t] = targets[t].EgressInterface;
        return new NeighborResponderTable(list, tables.Routes, egress, translator.SirPrefixes);
    }

    /// <summary>Every IPv6 (link-local included) and IPv4 unicast address of each interface of this network namespace.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> KernelAddressesByInterface()
    {
        // .NET builds its interface list from several netlink/getifaddrs reads: while container veths are being created
        // and deleted (50 concurrent CNI ADDs/DELs) an interface can change between them and the enumeration throws
        // ("An invalid IP address was specified"). A later snapshot is consistent again: retry a few times.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return ReadKernelAddresses();
            }
            catch (Exception e) when (attempt < 8 && e is ArgumentException or NetworkInformationException or InvalidOperationException)
            {
                Thread.Sleep(10 * attempt);
            }
        }
    }

    private static Dictionary<string, IReadOnlyList<IPAddress>> ReadKernelAddresses()
    {
        var result = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.Ordinal);
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            var list = new List<IPAddress>();
            foreach (var u in nic.GetIPProperties().UnicastAddresses)
            {
                if (u.Address.AddressFamily is AddressFamily.InterNetworkV6 or AddressFamily.InterNetwork) list.Add(new IPAddress(u.Address.GetAddressBytes()));
            }
            result[nic.Name] = list;
        }
        return result;
    }

    /// <summary>
    /// ILA domains into an <see cref="IlaStage"/>: one mapping table per SIR prefix, this host's locators (which
    /// SIR prefix and checksum mode to restore), and the host's own IPv6 addresses, which are never translated.
    /// </summary>
    public static IlaStage BuildIla(HostConfig config, IReadOnlyList<IPAddress> hostAddresses)
    {
        var domains = new List<IlaDomain>();
        var locals = new List<IlaLocalLocator>();
        var live = config.Ila.ClusterMappings;
        foreach (var d in config.Ila.Domains)
        {
            var sir = IlaPrefix.Parse(d.SirPrefix);
            var mode = IlaValidator.ParseMode(d.ChecksumMode);
            var file = new Dictionary<ulong, IlaMapping>();
            foreach (var m in d.Mappings)
            {
                var mappingMode = m.ChecksumMode is null ? mode : IlaValidator.ParseMode(m.ChecksumMode);
                file[IlaIdentifier.Parse(m.Identifier).Value] = new IlaMapping(IlaPrefix.Parse(m.Locator), mappingMode);
            }
            var locator = IlaPrefix.Parse(d.Locator);
            var local = LocalEndpoints(config, sir, locator, mode);
            IlaMappingTable table;
            if (live is not null)
            {
                // etcd mode: the live table, changed in place by watch events, is kept across reloads.
                table = live.TableFor(sir, mode, locator, file, local);
            }
            else
            {
                var builder = new IlaMappingTableBuilder();
                foreach (var (identifier, mapping) in file) builder.Add(new IlaIdentifier(identifier), mapping);
                foreach (var (identifier, mapping) in local) builder.TryAdd(new IlaIdentifier(identifier), mapping, out _, out _); // an explicit mapping wins
                table = builder.Build();
            }
            domains.Add(new IlaDomain(sir, table));
            locals.Add(new IlaLocalLocator(locator, sir, mode));
        }
        live?.Retain(domains.Select(d => d.SirPrefix).ToList());
        var own = new List<UInt128>();
        foreach (var a in hostAddresses)
        {
            if (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) own.Add(NetworkOrder.AddressV6(a));
        }
        var miss = config.Ila.Miss == "forward" ? IlaMissAction.Forward : IlaMissAction.Drop;
        return new IlaStage(new IlaTranslator(domains, locals, own), miss);
    }

    /// <summary>
    /// Containers on this host are its identifiers: a /128 route inside the SIR prefix that leaves by a local
    /// interface maps its identifier to this host's own locator, so traffic between containers of one host is
    /// recognised as local (routed untranslated) instead of being a mapping miss. An explicit mapping wins. Identifiers
    /// the mode cannot use are left out.
    /// </summary>
    private static Dictionary<ulong, IlaMapping> LocalEndpoints(HostConfig config, ulong sirPrefix, ulong locator, IlaChecksumMode mode)
    {
        var local = new Dictionary<ulong, IlaMapping>();
        Span<byte> bytes = stackalloc byte[16];
        foreach (var route in config.Routes)
        {
            if (!IPNetwork.TryParse(route.Prefix, out var net) || net.PrefixLength != 128
                || net.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) continue;
            var iface = config.Interfaces.Find(i => i.Name == route.Interface);
            if (iface is null || !SteeringRulesFactory.IsNeighborProxy(iface)) continue;
            net.BaseAddress.TryWriteBytes(bytes, out _);
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes) != sirPrefix) continue;
            var identifier = new IlaIdentifier(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
            if (identifier.Validate(mode) == IlaIdentifierError.None) local[identifier.Value] = new IlaMapping(locator, mode);
        }
        return local;
    }
}
