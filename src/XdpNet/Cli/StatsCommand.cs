using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using XdpNet.Stats;

namespace XdpNet.Cli;

/// <summary><c>xdpnet stats [--node NAME | --socket PATH] [--json] [--interval SECONDS] [--count N]</c>.</summary>
internal static class StatsCommand
{
    /// <summary>Usage errors and an unreachable instance (configuration errors are 2 elsewhere).</summary>
    private const int ConnectionFailedExitCode = 1;

    public static Command Create()
    {
        var node = new Option<string?>("--node") { Description = "Node name: the socket is /run/xdpnet/<node>.sock." };
        var socket = new Option<string?>("--socket") { Description = "Stats socket path (default: the node's, or the only one in /run/xdpnet)." };
        var json = new Option<bool>("--json") { Description = "Print one snapshot as JSON and exit." };
        var interval = new Option<double>("--interval") { Description = "Seconds between refreshes.", DefaultValueFactory = _ => 1.0 };
        var count = new Option<int?>("--count") { Description = "Stop after this many snapshots (default: until Ctrl-C)." };
        var command = new Command("stats", "Show a running instance's counters per interface and stage.")
        {
            node, socket, json, interval, count,
        };
        command.SetAction(parseResult => Run(
            parseResult.GetValue(node), parseResult.GetValue(socket), parseResult.GetValue(json),
            parseResult.GetValue(interval), parseResult.GetValue(count)));
        return command;
    }

    private static int Run(string? node, string? socketPath, bool json, double interval, int? count)
    {
        var usage = node is not null && socketPath is not null ? "--node and --socket are mutually exclusive"
            : interval is not > 0 ? "--interval must be a positive number of seconds"
            : count is <= 0 ? "--count must be positive"
            : null;
        if (usage is not null)
        {
            Console.Error.WriteLine($"stats: {usage}");
            return ConnectionFailedExitCode;
        }

        var path = StatsClient.ChooseSocket(socketPath, node, out var problem);
        if (path is null)
        {
            Console.Error.WriteLine($"stats: {problem}");
            return ConnectionFailedExitCode;
        }

        try
        {
            if (json)
            {
                var snapshot = StatsClient.Fetch(path);
                Console.WriteLine(JsonSerializer.Serialize(snapshot, StatsJsonContext.Indented.StatsSnapshot));
                return 0;
            }
            return Watch(path, TimeSpan.FromSeconds(interval), count);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"stats: {e.Message}");
            return ConnectionFailedExitCode;
        }
    }

    private static int Watch(string path, TimeSpan interval, int? count)
    {
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        var interactive = !Console.IsOutputRedirected;
        StatsSnapshot? previous = null;
        for (var shown = 0; count is null || shown < count; shown++)
        {
            if (shown > 0 && stop.Token.WaitHandle.WaitOne(interval)) break;
            var current = StatsClient.Fetch(path);
            // Home + clear screen (ECMA-48 CUP, ED) like top; plain separated blocks when piped.
            Console.Write(interactive ? "\u001b[H\u001b[2J" : shown > 0 ? "\n" : "");
            Console.Write(StatsTableRenderer.Render(current, previous));
            previous = current;
        }
        return 0;
    }
}
