using System.Net;
using System.Net.Sockets;
using Xdp.ControlPlane.Cluster;
using Xdp.Ila;
using XdpNet.Configuration;

namespace XdpNet.Endpoints;

/// <summary>
/// What this host publishes in etcd for its containers: the host file's local endpoints and the endpoints added
/// through the control socket, and for each of the latter's IPv6 addresses under a SIR prefix of the file, the
/// identifier -> this host's locator mapping (other hosts translate to it; it expires with this host's lease).
/// </summary>
public static class EndpointPublication
{
    public static (List<ClusterEndpoint> Endpoints, List<ClusterMapping> Mappings) For(HostConfig file, IEnumerable<DynamicEndpoint> dynamic)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(dynamic);
        var node = file.Node.Name;
        var endpoints = file.Endpoints.Where(e => !string.IsNullOrEmpty(e.Interface))
            .Select(e => new ClusterEndpoint(e.Name, e.Addresses, node, e.Interface, e.Labels)).ToList();
        var mappings = new List<ClusterMapping>();
        Span<byte> bytes = stackalloc byte[16];
        foreach (var e in dynamic)
        {
            var addresses = e.Addresses.ConvertAll(EndpointRequest.AddressOf);
            endpoints.Add(new ClusterEndpoint(e.Name, addresses.ConvertAll(a => a.ToString()), node, e.Interface, e.Labels));
            if (e.Vni is not null) continue;
            foreach (var address in addresses)
            {
                if (address.AddressFamily != AddressFamily.InterNetworkV6) continue;
                foreach (var domain in file.Ila.Domains)
                {
                    if (!IPNetwork.TryParse(domain.SirPrefix, out var sir) || !sir.Contains(address)) continue;
                    address.TryWriteBytes(bytes, out _);
                    var identifier = new IlaIdentifier(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
                    mappings.Add(new ClusterMapping(sir.BaseAddress.ToString(), identifier.ToString(), domain.Locator.Split('/')[0], null));
                }
            }
        }
        return (endpoints, mappings);
    }
}
