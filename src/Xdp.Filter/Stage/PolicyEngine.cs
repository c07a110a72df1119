using System.Buffers.Binary;
using Xdp.Filter.Classifier;
using Xdp.Filter.Conntrack;
using Xdp.Filter.Policy;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Wire;

namespace Xdp.Filter.Stage;

/// <summary>
/// Policy enforcement in the data plane: connection tracking first, the compiled policy map for what is not part of
/// a known flow. Cilium's model: a local endpoint's <b>egress</b> policy applies to what it sends (checked when the
/// packet arrives from its interface, before any other stage rewrites it), its <b>ingress</b> policy to what it
/// receives (checked when the pipeline has decided to transmit a packet out of a local interface: after
/// decapsulation or ILA translation, on the packet the endpoint will see). A packet between two local endpoints is
/// checked both ways. A flow is created in the connection-tracking table once every check of its first packet allowed
/// it and the packet is actually sent; its replies and related ICMP errors then pass without a lookup, so default-deny
/// ingress does not break an endpoint's own outgoing connections.
/// <para>
/// Per packet: one conntrack lookup, and for a new flow one identity LPM lookup and one policy map lookup per
/// direction: a fixed number of table lookups whatever the number of rules. Owned by the worker (single writer): the
/// scratch state of the packet in flight lives here.
/// </para>
/// </summary>
public sealed class PolicyEngine
{
    private readonly PolicyEmitter _emitter;
    private ConntrackPacket _pending;
    private bool _hasPending;
    private bool _tracked;
    private bool _checkedOnArrival;
    private bool _pickup;
    private bool _pendingPickedUp;
    private uint _packets;

    public PolicyEngine(CompiledPolicy policy, ConntrackTable conntrack)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(conntrack);
        Conntrack = conntrack;
        Install(policy);
        _emitter = new PolicyEmitter(this);
    }

    /// <summary>The policy in force (replaced by <see cref="Install"/> between batches).</summary>
    public CompiledPolicy Policy { get; private set; } = null!;
    /// <summary>Packet and byte counters per policy map entry, for <see cref="Policy"/>.</summary>
    public PolicyCounters EntryCounters { get; private set; } = null!;
    public ConntrackTable Conntrack { get; }
    public PolicyStageCounters Counters { get; } = new();
    /// <summary>Keeps identity numbers stable across reloads (the host passes it to the next compilation).</summary>
    public IdentityAllocator? Allocator { get; init; }

    /// <summary>
    /// The ordered 5-tuple rules (iptables-style, first match wins) in front of the endpoint policy, for every new flow
    /// the data plane forwards; null when none are configured. Replaced with <see cref="InstallRules"/>.
    /// </summary>
    public FiveTupleRuleSet? Rules { get; private set; }

    /// <summary>Puts new 5-tuple rules in force (between two batches); null removes them.</summary>
    public void InstallRules(FiveTupleRuleSet? rules) => Rules = rules;

    /// <summary>Puts a newly compiled policy in force (the worker calls it between two batches). Flows already tracked keep passing.</summary>
    public void Install(CompiledPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Policy = policy;
        EntryCounters = policy.Map.CreateCounters();
        _endpointInterface = [];
        _interfaceHasEndpoints = [];
    }

    /// <summary>
    /// Puts a policy in force with the interface each of its endpoints is behind (by endpoint index; -1 for remote
    /// endpoints). A packet arriving on an interface that has endpoints may not use another endpoint's or the host's
    /// address: an endpoint's identity goes with its interface, not with an address any container could write into
    /// its packets.
    /// </summary>
    public void Install(CompiledPolicy policy, int[] endpointInterface, int interfaceCount)
    {
        ArgumentNullException.ThrowIfNull(endpointInterface);
        Install(policy);
        var has = new bool[interfaceCount];
        foreach (var i in endpointInterface)
        {
            if ((uint)i < (uint)interfaceCount) has[i] = true;
        }
        _endpointInterface = endpointInterface;
        _interfaceHasEndpoints = has;
    }

    private int[] _endpointInterface = [];
    private bool[] _interfaceHasEndpoints = [];

    /// <summary>The interface of each endpoint of <see cref="Policy"/> (-1: remote), as installed.</summary>
    public IReadOnlyList<int> EndpointInterfaces => _endpointInterface;

    /// <summary>Interfaces the installed binding covers.</summary>
    public int InterfaceCount => _interfaceHasEndpoints.Length;

    /// <summary>
    /// Start of a packet: when it comes from a local interface, the egress policy of the endpoint that sent it.
    /// Returns <see cref="DropReason.None"/> to go on. Also wraps the packet's emitter so flooded copies to local
    /// endpoints meet their ingress policy.
    /// </summary>
    public DropReason Begin(ref PacketContext packet, bool fromLocalInterface)
    {
        _hasPending = false;
        _tracked = false;
        _pickup = false;
        // Expired flows are reclaimed a little at a time, so lookups do not have to do it and no pause is long.
        if ((++_packets & 1023) == 0) Conntrack.Sweep(Environment.TickCount64, 256);
        if (packet.Emitter is { } inner && inner != _emitter)
        {
            _emitter.Inner = inner;
            packet.Emitter = _emitter;
        }
        // A packet from a container is judged as the container sent it. One from elsewhere (the uplink) may still be
        // encapsulated or ILA-addressed: it is judged in End, as it leaves.
        _checkedOnArrival = fromLocalInterface;
        if (!fromLocalInterface || !TryParse(ref packet, out var parsed)) return DropReason.None;
        var ingress = packet.IngressInterface;
        if ((uint)ingress < (uint)_interfaceHasEndpoints.Length && _interfaceHasEndpoints[ingress] && !IsOwnSource(in parsed, ingress))
        {
            Counters.Spoofed++;
            return DropReason.SpoofedSource;
        }
        if (Rules is { } rules)
        {
            var reason = CheckRules(rules, in parsed, packet.Length);
            if (reason != DropReason.None || _tracked) return reason;
        }
        return EgressPolicy(in parsed, packet.Length);
    }

    private DropReason EgressPolicy(in ConntrackPacket parsed, int length)
    {
        var identities = Policy.Identities;
        var tuple = parsed.Tuple;
        var endpoint = LocalEndpoint(identities, tuple.IsIpv6, tuple.Source);
        if (endpoint < 0) return DropReason.None;
        return Check(in parsed, endpoint, PolicyDirection.Egress, PeerIdentity(identities, tuple.IsIpv6, tuple.Destination), length);
    }

    /// <summary>
    /// The 5-tuple rules for a packet that opens a flow: conntrack first (an established flow passed them already), then
    /// the first matching rule; Deny drops, Allow (or no match with a default of Allow) goes on to the endpoint policy.
    /// </summary>
    private DropReason CheckRules(FiveTupleRuleSet rules, in ConntrackPacket parsed, int length)
    {
        if (Decided(in parsed, trackFlow: true, out var decided)) return decided;
        var tuple = parsed.Tuple;
        var port = tuple.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6 ? (ushort)0 : tuple.DestinationPort;
        var sourcePort = tuple.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6 ? (ushort)0 : tuple.SourcePort;
        var key = tuple.IsIpv6
            ? FiveTuple.IPv6(BinaryPrimitives.ReverseEndianness(tuple.Source), BinaryPrimitives.ReverseEndianness(tuple.Destination), tuple.Protocol, sourcePort, port)
            : FiveTuple.IPv4(BinaryPrimitives.ReverseEndianness(tuple.SourceV4), BinaryPrimitives.ReverseEndianness(tuple.DestinationV4), tuple.Protocol, sourcePort, port);
        var index = rules.Classifier.Classify(in key);
        var action = index >= 0 ? rules.Classifier.Rules[index].Action : rules.DefaultAction;
        if (index >= 0)
        {
            rules.Packets[index]++;
            rules.Bytes[index] += length;
        }
        if (action == RuleAction.Deny)
        {
            Counters.RuleDenied++;
            return DropReason.PolicyDenied;
        }
        Counters.RuleAllowed++;
        if (parsed.Kind != ConntrackPacketKind.Other || tuple.Protocol is IpProtocol.Tcp or IpProtocol.Udp)
        {
            _pending = parsed;
            _pendingPickedUp = _pickup;
            _hasPending = true;
        }
        return DropReason.None;
    }

    /// <summary>
    /// End of a packet: when it goes out of a local interface, the ingress policy of the endpoint it is for; then,
    /// if the packet is sent and opens an allowed flow, the flow is created. Returns the final verdict.
    /// </summary>
    public Verdict End(ref PacketContext packet, Verdict verdict, bool toLocalInterface)
    {
        if (verdict != Verdict.Tx)
        {
            _hasPending = false;
            return verdict;
        }
        var rules = Rules;
        if ((toLocalInterface && !_tracked) || (rules is not null && !_checkedOnArrival))
        {
            var reason = DropReason.None;
            if (TryParse(ref packet, out var parsed))
            {
                // Rules for what came from elsewhere, on the packet as it leaves (decapsulated, translated back to SIR).
                if (rules is not null && !_checkedOnArrival) reason = CheckRules(rules, in parsed, packet.Length);
                if (reason == DropReason.None && toLocalInterface && !_tracked) reason = IngressPolicy(in parsed, packet.Length);
            }
            if (reason != DropReason.None)
            {
                _hasPending = false;
                return packet.Drop(reason);
            }
        }
        if (_hasPending)
        {
            _hasPending = false;
            var created = _pendingPickedUp ? Conntrack.Pickup(in _pending, Environment.TickCount64) : Conntrack.Create(in _pending, Environment.TickCount64);
            _pickup = false;
            if (created == ConntrackVerdict.Full) return packet.Drop(DropReason.ConntrackFull);
            if (created == ConntrackVerdict.New)
            {
                Counters.FlowsCreated++;
                if (_pendingPickedUp) Counters.PickedUp++;
            }
        }
        return Verdict.Tx;
    }

    private DropReason CheckIngress(ref PacketContext packet) =>
        TryParse(ref packet, out var parsed) ? IngressPolicy(in parsed, packet.Length) : DropReason.None;

    private DropReason IngressPolicy(in ConntrackPacket parsed, int length)
    {
        var identities = Policy.Identities;
        var tuple = parsed.Tuple;
        var endpoint = LocalEndpoint(identities, tuple.IsIpv6, tuple.Destination);
        if (endpoint < 0) return DropReason.None;
        return Check(in parsed, endpoint, PolicyDirection.Ingress, PeerIdentity(identities, tuple.IsIpv6, tuple.Source), length);
    }

    private DropReason Check(in ConntrackPacket parsed, int endpoint, PolicyDirection direction, uint peer, int length)
    {
        var tuple = parsed.Tuple;
        // A flow created by this packet's egress check is not in the table yet: its ingress check must look at policy.
        if (Decided(in parsed, trackFlow: !_hasPending, out var decided)) return decided;
        var port = tuple.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6 ? parsed.IcmpType : tuple.DestinationPort;
        var decision = Policy.Map.Lookup(endpoint, direction, peer, tuple.Protocol, port);
        EntryCounters.Count(decision, length);
        if (!decision.Allowed)
        {
            if (decision.Verdict == PolicyVerdict.Deny)
            {
                Counters.Denied++;
                return DropReason.PolicyDenied;
            }
            Counters.DefaultDenied++;
            return DropReason.PolicyDefaultDenied;
        }
        Counters.Allowed++;
        if (parsed.Kind != ConntrackPacketKind.Other || tuple.Protocol is IpProtocol.Tcp or IpProtocol.Udp)
        {
            if (!_hasPending)
            {
                _pending = parsed;
                _pendingPickedUp = _pickup;
            _pendingPickedUp = _pickup;
                _hasPending = true;
            }
        }
        return DropReason.None;
    }

    /// <summary>
    /// False when the packet's source is an address whose identity it may not claim: another endpoint's (local behind
    /// another interface, or remote) or the host's. Its own endpoints' addresses, link-local and unspecified ones, and
    /// addresses that belong to no endpoint (they get the world or a CIDR identity, no endpoint's privileges) pass.
    /// </summary>
    private bool IsOwnSource(in ConntrackPacket parsed, int ingress)
    {
        var tuple = parsed.Tuple;
        if (tuple.IsIpv6)
        {
            var high = (ulong)tuple.Source; // memory bytes 0..7, little-endian load: byte 0 is the low byte
            if (tuple.Source == UInt128.Zero || (high & 0xC0FF) == 0x80FE) return true;
        }
        else if (tuple.SourceV4 == 0)
        {
            return true;
        }
        var identities = Policy.Identities;
        int endpoint;
        var identity = tuple.IsIpv6 ? identities.LookupV6(tuple.Source, out endpoint) : identities.LookupV4(tuple.SourceV4, out endpoint);
        // Another endpoint's address (local or remote) or the host's would carry that identity's privileges.
        if (endpoint >= 0) return endpoint < _endpointInterface.Length && _endpointInterface[endpoint] == ingress;
        return identity != SecurityIdentity.Host;
    }

    /// <summary>
    /// What needs no rule or policy lookup: neighbour discovery always passes; with <paramref name="trackFlow"/>, a packet
    /// of an established flow or an error related to one passes and an invalid one is dropped. True when
    /// <paramref name="reason"/> is the outcome; false when rules or policy must decide (a new flow, or a mid-stream TCP
    /// segment that may be picked up if they allow it).
    /// </summary>
    private bool Decided(in ConntrackPacket parsed, bool trackFlow, out DropReason reason)
    {
        reason = DropReason.None;
        if (IsNeighborDiscovery(in parsed))
        {
            Counters.NeighborDiscovery++;
            _tracked = true;
            return true;
        }
        if (!trackFlow) return false;
        switch (Conntrack.Track(in parsed, Environment.TickCount64, out _))
        {
            case ConntrackVerdict.Established:
                Counters.Established++;
                _tracked = true;
                return true;
            case ConntrackVerdict.Related:
                Counters.Related++;
                _tracked = true;
                return true;
            case ConntrackVerdict.Invalid:
                if (!IsPickupCandidate(in parsed))
                {
                    reason = DropReason.ConntrackInvalid;
                    return true;
                }
                _pickup = true; // judged by rules and policy as a new flow, then picked up established
                return false;
            default:
                return false;
        }
    }

    /// <summary>
    /// A TCP segment with ACK and without SYN, RST or FIN of a flow the table does not know: a connection that existed
    /// before tracking did (a restart). It may be picked up if policy allows it as a new flow.
    /// </summary>
    private bool IsPickupCandidate(in ConntrackPacket parsed)
    {
        const TcpHeader.Flag forbidden = TcpHeader.Flag.Syn | TcpHeader.Flag.Rst | TcpHeader.Flag.Fin;
        return parsed.Kind == ConntrackPacketKind.Tcp && (parsed.TcpFlags & TcpHeader.Flag.Ack) != 0 && (parsed.TcpFlags & forbidden) == 0
            && Conntrack.Find(parsed.Tuple, Environment.TickCount64) is null;
    }

    /// <summary>Router/neighbour solicitations and advertisements and redirects (RFC 4861) are never policy's business.</summary>
    private static bool IsNeighborDiscovery(in ConntrackPacket parsed) =>
        parsed.Tuple.Protocol == IpProtocol.Icmpv6 && parsed.IcmpType is >= 133 and <= 137;

    private static int LocalEndpoint(IdentityTable identities, bool ipv6, UInt128 address)
    {
        int endpoint;
        if (ipv6) identities.LookupV6(address, out endpoint);
        else identities.LookupV4((uint)(address >> 96), out endpoint);
        return endpoint >= 0 && identities.Endpoints[endpoint].Local ? endpoint : -1;
    }

    private static uint PeerIdentity(IdentityTable identities, bool ipv6, UInt128 address) =>
        ipv6 ? identities.LookupV6(address) : identities.LookupV4((uint)(address >> 96));

    private static bool TryParse(ref PacketContext packet, out ConntrackPacket parsed)
    {
        parsed = default;
        if (!EthernetFrame.TryCreate(packet.Bytes, out var frame)) return false;
        return frame.EtherType switch
        {
            EtherType.Ipv4 => ConntrackPacket.TryParseIpv4(frame.Payload, out parsed),
            EtherType.Ipv6 => ConntrackPacket.TryParseIpv6(frame.Payload, out parsed),
            _ => false,
        };
    }

    /// <summary>
    /// Flooded copies bypass the end of the pipeline: this emitter runs the ingress policy on each copy bound for a local
    /// interface before handing it to the real emitter. Copies never create flows (their sender's next packet, or the
    /// reply, is checked as usual).
    /// </summary>
    private sealed class PolicyEmitter(PolicyEngine engine) : PacketEmitter
    {
        public PacketEmitter? Inner;

        /// <summary>Interfaces whose copies are checked (set by the host: the local ones).</summary>
        public bool[] LocalInterfaces = [];

        public override bool TryClone(in PacketContext source, out PacketContext copy)
        {
            if (Inner is null || !Inner.TryClone(in source, out copy))
            {
                copy = default;
                return false;
            }
            copy.Emitter = this;
            return true;
        }

        public override void Complete(ref PacketContext copy, Verdict verdict)
        {
            if (verdict == Verdict.Tx && (uint)copy.EgressInterface < (uint)LocalInterfaces.Length && LocalInterfaces[copy.EgressInterface])
            {
                var pending = engine._hasPending;
                var pendingPacket = engine._pending;
                var tracked = engine._tracked;
                engine._hasPending = true; // no conntrack lookups or creations for copies
                engine._tracked = false;
                var reason = engine.CheckIngress(ref copy);
                engine._hasPending = pending;
                engine._pending = pendingPacket;
                engine._tracked = tracked;
                if (reason != DropReason.None)
                {
                    copy.Reason = reason;
                    verdict = Verdict.Drop;
                }
            }
            Inner!.Complete(ref copy, verdict);
        }
    }

    /// <summary>Which interface indexes are local (container) interfaces: flooded copies to them meet ingress policy.</summary>
    public void SetLocalInterfaces(bool[] local) => _emitter.LocalInterfaces = local;
}
