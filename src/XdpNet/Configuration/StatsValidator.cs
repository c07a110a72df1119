namespace XdpNet.Configuration;

/// <summary>Stats:Socket — an absolute path that fits sockaddr_un.sun_path (108 bytes including the NUL).</summary>
internal sealed class StatsValidator : IConfigSectionValidator
{
    private const int MaxSocketPath = 107;

    public void Validate(ValidationContext context)
    {
        var socket = context.Config.Stats.Socket;
        if (socket is null) return;
        if (!Path.IsPathFullyQualified(socket))
            context.Add("Stats:Socket", $"'{socket}' must be an absolute path");
        else if (System.Text.Encoding.UTF8.GetByteCount(socket) > MaxSocketPath)
            context.Add("Stats:Socket", $"'{socket}' is longer than the {MaxSocketPath} bytes a Unix socket path can have");
        else if (socket.EndsWith('/'))
            context.Add("Stats:Socket", $"'{socket}' names a directory, not a socket file");
    }
}
