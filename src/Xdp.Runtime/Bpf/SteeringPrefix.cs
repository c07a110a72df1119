using System.Net;

namespace Xdp.Runtime.Bpf;

/// <summary>A destination prefix (IPv4 or IPv6) and what to do with frames to it; the longest prefix wins.</summary>
public readonly record struct SteeringPrefix(IPNetwork Network, SteeringAction Action)
{
    public static SteeringPrefix Own(string cidr) => new(IPNetwork.Parse(cidr), SteeringAction.Own);

    public static SteeringPrefix Pass(string cidr) => new(IPNetwork.Parse(cidr), SteeringAction.Pass);
}
