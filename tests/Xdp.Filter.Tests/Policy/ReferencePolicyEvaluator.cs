using System.Net;
using Xdp.Filter.Policy;

namespace Xdp.Filter.Tests.Policy;

/// <summary>
/// The policy semantics written directly from Cilium's documentation, with no identities, no LPM and no map:
/// a peer is classified by its address (an endpoint's labels, the host, or the world with the CIDRs that
/// contain the address), every rule is tried in turn. The compiled map must agree with it.
/// </summary>
internal sealed class ReferencePolicyEvaluator(IReadOnlyList<PolicyRule> rules, IReadOnlyList<PolicyEndpoint> endpoints, IReadOnlyList<IPAddress> hostAddresses)
{
    public PolicyVerdict Evaluate(int endpoint, PolicyDirection direction, IPAddress remote, byte protocol, ushort port)
    {
        var local = LabelSet.From(endpoints[endpoint].Labels);
        var selecting = rules.Where(r => r.EndpointSelector.Matches(local)).ToList();
        if (selecting.Any(r => r.Denies(direction).Any(p => Matches(p, remote, protocol, port)))) return PolicyVerdict.Deny;
        if (selecting.Any(r => r.Allows(direction).Any(p => Matches(p, remote, protocol, port)))) return PolicyVerdict.Allow;
        return selecting.Any(r => r.DefaultDeny(direction)) ? PolicyVerdict.DefaultDeny : PolicyVerdict.DefaultAllow;
    }

    private bool Matches(PolicyPeerRule peer, IPAddress remote, byte protocol, ushort port)
    {
        if (!peer.NamesPeers && !peer.HasL4) return false;
        return (!peer.NamesPeers || PeerMatches(peer, remote)) && L4Matches(peer, protocol, port);
    }

    private bool PeerMatches(PolicyPeerRule peer, IPAddress remote)
    {
        var endpoint = endpoints.FirstOrDefault(e => e.Address.Equals(remote));
        var isHost = endpoint is null && hostAddresses.Contains(remote);
        var labels = endpoint is not null ? LabelSet.From(endpoint.Labels) : isHost ? ReservedLabels.Host : ReservedLabels.World;
        if (peer.Endpoints.Any(s => s.Matches(labels))) return true;
        // CIDR rules describe peers outside the cluster: never an endpoint or the host.
        if (endpoint is null && !isHost && peer.Cidrs.Any(c => c.Contains(remote))) return true;
        foreach (var entity in peer.Entities)
        {
            switch (entity)
            {
                case PolicyEntity.All: return true;
                case PolicyEntity.Host when isHost: return true;
                case PolicyEntity.World when endpoint is null && !isHost: return true;
                case PolicyEntity.Cluster when endpoint is not null || isHost: return true;
            }
        }
        return false;
    }

    private static bool L4Matches(PolicyPeerRule peer, byte protocol, ushort port)
    {
        if (!peer.HasL4) return true;
        foreach (var p in peer.Ports)
        {
            var protocolMatches = p.Protocol switch
            {
                L4Protocol.Any => protocol is 6 or 17 or 132,
                L4Protocol.Tcp => protocol == 6,
                L4Protocol.Udp => protocol == 17,
                L4Protocol.Sctp => protocol == 132,
                L4Protocol.Icmp => protocol == 1,
                _ => protocol == 58,
            };
            if (!protocolMatches) continue;
            if (p.Protocol is L4Protocol.Icmp or L4Protocol.IcmpV6) return true;
            if (p.Port == 0 || (port >= p.Port && port <= p.EndPort)) return true;
        }
        foreach (var icmp in peer.Icmps)
            if (protocol == (icmp.Family == IcmpFamily.IPv4 ? 1 : 58) && port == icmp.Type) return true;
        return false;
    }
}
