using System.Text.Json;
using Xdp.ControlPlane.Etcd.Gateway;

namespace Xdp.ControlPlane.Etcd;

// Maintenance service: Status (rpc.proto service Maintenance; gateway path /v3/maintenance/status).
public sealed partial class EtcdClient
{
    /// <summary>The status of the member at the current endpoint (failing over like any request).</summary>
    public async Task<EtcdStatus> StatusAsync(CancellationToken cancellationToken = default)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new StatusRequest(), GatewayJsonContext.Default.StatusRequest);
        using var response = await SendAsync("/v3/maintenance/status", body, HttpCompletionOption.ResponseContentRead, idempotent: true, cancellationToken)
            .ConfigureAwait(false);
        byte[] content = await response.Message.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var status = Deserialize(content, GatewayJsonContext.Default.StatusResponse, "/v3/maintenance/status");
        return new EtcdStatus(response.Endpoint, status.Version ?? string.Empty, status.Header?.MemberId ?? 0, status.Leader, RevisionOf(status.Header));
    }
}
