namespace XdpNet.Configuration;

/// <summary>Etcd: http URLs, a prefix that is a key path, a lease of at least 2 s (etcd's minimum TTL), a start timeout.</summary>
internal sealed class EtcdValidator : IConfigSectionValidator
{
    public void Validate(ValidationContext context)
    {
        var etcd = context.Config.Etcd;
        for (var i = 0; i < etcd.Endpoints.Count; i++)
        {
            if (!Uri.TryCreate(etcd.Endpoints[i], UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
                context.Add($"Etcd:Endpoints:{i}", $"'{etcd.Endpoints[i]}' is not an http:// URL of an etcd client endpoint (TLS is not supported)");
        }
        if (!etcd.Prefix.StartsWith('/') || etcd.Prefix.Contains("//", StringComparison.Ordinal))
            context.Add("Etcd:Prefix", $"'{etcd.Prefix}' must be a key path starting with '/', e.g. /xdpnet/");
        if (etcd.LeaseSeconds is < 2 or > 3600) context.Add("Etcd:LeaseSeconds", $"{etcd.LeaseSeconds} must be between 2 (etcd's minimum TTL) and 3600");
        if (etcd.StartTimeoutSeconds is < 0 or > 600) context.Add("Etcd:StartTimeoutSeconds", $"{etcd.StartTimeoutSeconds} must be between 0 and 600");
    }
}
