using System.Text;
using System.Text.Json;

namespace Xdp.ControlPlane.Cluster;

/// <summary>The values written for each kind of key (the inverse of <see cref="ClusterEntryParser.ParseValue"/>).</summary>
public static class ClusterValueWriter
{
    public static byte[] Endpoint(ClusterEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return JsonSerializer.SerializeToUtf8Bytes(
            new EndpointValue
            {
                Addresses = [.. endpoint.Addresses],
                Host = endpoint.Host,
                Interface = endpoint.Interface,
                Labels = endpoint.Labels.Count > 0 ? [.. endpoint.Labels] : null,
            },
            ClusterJsonContext.Default.EndpointValue);
    }

    public static byte[] Mapping(ClusterMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        return JsonSerializer.SerializeToUtf8Bytes(
            new MappingValue { Locator = mapping.Locator, ChecksumMode = mapping.ChecksumMode }, ClusterJsonContext.Default.MappingValue);
    }

    public static byte[] Fdb(ClusterFdbEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return JsonSerializer.SerializeToUtf8Bytes(new FdbValue { Vtep = entry.Vtep }, ClusterJsonContext.Default.FdbValue);
    }

    public static byte[] Flood() => "{}"u8.ToArray();

    public static byte[] Policy(ClusterPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Encoding.UTF8.GetBytes(policy.Text);
    }

    public static byte[] Host(ClusterHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return JsonSerializer.SerializeToUtf8Bytes(
            new HostValue { Vtep = host.Vtep, Locators = [.. host.Locators] }, ClusterJsonContext.Default.HostValue);
    }
}
