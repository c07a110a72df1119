using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using XdpNet.Stats;

namespace XdpNet.Cli;

/// <summary><c>xdpnet conntrack [--node NAME | --socket PATH] [--json]</c>: the connection-tracking table of a running instance.</summary>
internal static class ConntrackCommand
{
    private const int FailedExitCode = 1;

    public static Command Create()
    {
        var node = new Option<string?>("--node") { Description = "Node name: the socket is /run/xdpnet/<node>.sock." };
        var socket = new Option<string?>("--socket") { Description = "Stats socket path (default: the node's, or the only one in /run/xdpnet)." };
        var json = new Option<bool>("--json") { Description = "Print the table as JSON." };
        var command = new Command("conntrack", "List the tracked connections of a running instance (flows, state, age, counters).")
        {
            node, socket, json,
        };
        command.SetAction(parseResult => Run(parseResult.GetValue(node), parseResult.GetValue(socket), parseResult.GetValue(json)));
        return command;
    }

    private static int Run(string? node, string? socketPath, bool json)
    {
        if (node is not null && socketPath is not null)
        {
            Console.Error.WriteLine("conntrack: --node and --socket are mutually exclusive");
            return FailedExitCode;
        }
        var path = StatsClient.ChooseSocket(socketPath, node, out var problem);
        if (path is null)
        {
            Console.Error.WriteLine($"conntrack: {problem}");
            return FailedExitCode;
        }
        try
        {
            var listing = StatsClient.FetchConntrack(path);
            Console.Write(json ? JsonSerializer.Serialize(listing, StatsJsonContext.Indented.ConntrackSnapshot) + "\n" : Render(listing));
            return 0;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"conntrack: {e.Message}");
            return FailedExitCode;
        }
    }

    /// <summary>One line per flow, like conntrack -L: protocol, state, endpoints, counters each way, timers.</summary>
    internal static string Render(ConntrackSnapshot listing)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"xdpnet {listing.Node}: {listing.Flows.Count:N0} flows (capacity {listing.Capacity:N0}); ");
        sb.AppendJoin(", ", listing.Counters.Select(kv => string.Create(inv, $"{kv.Key} {kv.Value:N0}")));
        sb.Append('\n');
        foreach (var f in listing.Flows)
        {
            sb.Append(inv, $"{f.Protocol,-7}{f.State,-12}src={f.Source} dst={f.Destination} sport={f.SourcePort} dport={f.DestinationPort} ");
            sb.Append(inv, $"packets={f.PacketsOriginal}/{f.PacketsReply} bytes={f.BytesOriginal}/{f.BytesReply} ");
            sb.Append(inv, $"{(f.Assured ? "[ASSURED] " : "")}age={f.AgeSeconds:F0}s expires={f.ExpiresInSeconds:F0}s\n");
        }
        return sb.ToString();
    }
}
