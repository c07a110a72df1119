using XdpNet.Configuration;

namespace XdpNet.Host;

/// <summary>Serves the running instance's counters (wired to the stats server).</summary>
public sealed class HostStats : IDisposable
{
    private HostStats(string socketPath) => SocketPath = socketPath;

    public string SocketPath { get; }

    public static HostStats Serve<TPipeline>(HostConfig config, DataPlane<TPipeline> plane, DateTimeOffset started)
        where TPipeline : struct, Xdp.Runtime.Pipeline.IPacketStage
        => new(config.Stats.Socket ?? $"/run/xdpnet/{config.Node.Name}.sock");

    public void Dispose()
    {
    }
}
