using System.CommandLine;
using System.Text;
using System.Text.Json;
using XdpNet.Endpoints;
using XdpNet.Stats;

namespace XdpNet.Cli;

/// <summary>
/// <c>xdpnet endpoint add|del|list|get [--node NAME | --socket PATH] [--json]</c>: the endpoint API of a running
/// instance's control socket. The request is checked here with the server's own checks first (exit 2 naming the
/// field); the server's refusal exits 1 with its message.
/// </summary>
internal static class EndpointCommand
{
    private const int FailedExitCode = 1;
    /// <summary>An add may bind sockets and recompile policy: longer than a counters read.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var command = new Command("endpoint", "Add, remove and list the endpoints of a running instance (its control socket).");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Delete());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Get());
        return command;
    }

    private sealed record Common(Option<string?> Node, Option<string?> Socket, Option<bool> Json);

    private static Common AddCommon(Command command)
    {
        var common = new Common(
            new Option<string?>("--node") { Description = "Node name: the socket is /run/xdpnet/<node>.sock." },
            new Option<string?>("--socket") { Description = "Control socket path (default: the node's, or the only one in /run/xdpnet)." },
            new Option<bool>("--json") { Description = "Print the answer as JSON." });
        command.Options.Add(common.Node);
        command.Options.Add(common.Socket);
        command.Options.Add(common.Json);
        return common;
    }

    private static Option<string> NameOption() => new("--name") { Description = "The endpoint's name.", Required = true };

    private static Command Add()
    {
        var name = NameOption();
        var iface = new Option<string>("--interface") { Description = "Host end of the container's veth.", Required = true };
        var mac = new Option<string>("--mac") { Description = "The container end's MAC (next hop of its routes).", Required = true };
        var address = new Option<string[]>("--address") { Description = "An address, /32 or /128 (repeat for more).", Required = true };
        var label = new Option<string[]>("--label") { Description = "A label key=value (repeat for more)." };
        var vni = new Option<int?>("--vni") { Description = "VXLAN segment to join instead of routing the addresses." };
        var command = new Command("add", "Serve a container's interface and register its endpoint (idempotent).") { name, iface, mac, address, label, vni };
        var common = AddCommon(command);
        command.SetAction(r =>
        {
            var body = new DynamicEndpoint
            {
                Name = r.GetValue(name)!,
                Interface = r.GetValue(iface)!,
                Mac = r.GetValue(mac)!,
                Addresses = [.. r.GetValue(address) ?? []],
                Labels = [.. r.GetValue(label) ?? []],
                Vni = r.GetValue(vni),
            };
            var json = JsonSerializer.Serialize(body, EndpointJsonContext.Default.DynamicEndpoint);
            if (EndpointRequest.ParseAdd(json, out var error) is null) return Refuse(error);
            return Send(r, common, $"add {json}");
        });
        return command;
    }

    private static Command Delete()
    {
        var name = NameOption();
        var command = new Command("del", "Stop serving an endpoint and its interface (an unknown name is not an error).") { name };
        var common = AddCommon(command);
        command.SetAction(r => NameRequest(r, common, "del", r.GetValue(name)!));
        return command;
    }

    private static Command Get()
    {
        var name = NameOption();
        var command = new Command("get", "Show one endpoint.") { name };
        var common = AddCommon(command);
        command.SetAction(r => NameRequest(r, common, "get", r.GetValue(name)!));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the endpoints added through the control socket.");
        var common = AddCommon(command);
        command.SetAction(r => Send(r, common, "list"));
        return command;
    }

    private static int NameRequest(ParseResult r, Common common, string verb, string name)
    {
        var json = $"{{\"name\":{JsonSerializer.Serialize(name, EndpointCliJsonContext.Default.String)}}}";
        if (EndpointRequest.ParseName(json, out var error) is null) return Refuse(error);
        return Send(r, common, $"{verb} {json}");
    }

    private static int Refuse(string error)
    {
        Console.Error.WriteLine($"endpoint: {error}");
        return XdpNetCommand.ConfigErrorExitCode;
    }

    private static int Send(ParseResult r, Common common, string request)
    {
        var node = r.GetValue(common.Node);
        var socketPath = r.GetValue(common.Socket);
        if (node is not null && socketPath is not null)
        {
            Console.Error.WriteLine("endpoint: --node and --socket are mutually exclusive");
            return FailedExitCode;
        }
        var path = StatsClient.ChooseSocket(socketPath, node, out var problem);
        if (path is null)
        {
            Console.Error.WriteLine($"endpoint: {problem}");
            return FailedExitCode;
        }
        string answer;
        try
        {
            answer = StatsClient.Request(path, $"{StatsServer.EndpointRequest} {request}", RequestTimeout);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"endpoint: {e.Message}");
            return FailedExitCode;
        }
        EndpointResponse? response;
        try
        {
            response = JsonSerializer.Deserialize(answer, EndpointJsonContext.Default.EndpointResponse);
        }
        catch (JsonException)
        {
            response = null;
        }
        if (response is null)
        {
            Console.Error.WriteLine($"endpoint: {path} answered something else: {answer}");
            return FailedExitCode;
        }
        if (r.GetValue(common.Json)) Console.WriteLine(answer);
        else if (!response.Ok) Console.Error.WriteLine($"endpoint: {response.Error}");
        else Console.Write(Render(response));
        return response.Ok ? 0 : FailedExitCode;
    }

    internal static string Render(EndpointResponse response)
    {
        var sb = new StringBuilder();
        if (response.Absent == true) sb.Append("no such endpoint (nothing to remove)\n");
        foreach (var e in response.Endpoints ?? (response.Endpoint is null ? [] : [response.Endpoint]))
        {
            sb.Append($"{e.Name}: interface {e.Interface}, mac {e.Mac}, {string.Join(" ", e.Addresses)}");
            if (e.Vni is int vni) sb.Append($", VNI {vni}");
            if (e.Labels.Count > 0) sb.Append($", labels {string.Join(" ", e.Labels)}");
            sb.Append('\n');
        }
        return sb.ToString();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class EndpointCliJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
