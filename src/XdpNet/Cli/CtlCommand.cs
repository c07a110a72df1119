using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Xdp.ControlPlane.Cluster;
using Xdp.ControlPlane.Etcd;
using Xdp.Filter.Policy;

namespace XdpNet.Cli;

/// <summary>
/// <c>xdpnet ctl --etcd URL [--prefix /xdpnet/] [--json] endpoint|mapping|fdb|flood|policy|host add|remove|list ...</c>:
/// edits and lists the cluster state in etcd (key layout: <see cref="ClusterKeys"/>, docs/etcd.md). Every value is
/// checked with the same parser the data plane's watcher uses before it is written, and policies with the policy
/// compiler. Exit codes: 0 done, 1 etcd unreachable or failed (the endpoints tried are named) or the entry to remove
/// does not exist, 2 bad input (the option and problem are named; nothing was written).
/// </summary>
internal static class CtlCommand
{
    private const int FailedExitCode = 1;
    private const int BadInputExitCode = XdpNetCommand.ConfigErrorExitCode;
    private const string EtcdEnvironmentVariable = "XDPNET_ETCD";

    private static readonly Option<string[]> Etcd = new("--etcd")
    {
        Description = $"etcd client URL(s), e.g. http://198.18.0.1:2379 (repeat or separate with ','; default ${EtcdEnvironmentVariable}).",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    private static readonly Option<string> Prefix = new("--prefix")
    {
        Description = "Key prefix of the cluster state.",
        DefaultValueFactory = _ => ClusterKeys.DefaultPrefix,
        Recursive = true,
    };

    private static readonly Option<bool> Json = new("--json") { Description = "List as JSON.", Recursive = true };

    public static Command Create()
    {
        var ctl = new Command("ctl", "Add, remove and list the cluster state in etcd: endpoints, ILA mappings, VXLAN FDB and flood entries, policies.")
        {
            Etcd, Prefix, Json,
            EndpointCommand(), MappingCommand(), FdbCommand(), FloodCommand(), PolicyCommand(), HostCommand(),
        };
        return ctl;
    }

    /// <summary>
    /// The policy check a watcher passes to <see cref="ClusterStateSyncOptions.PolicyValidator"/>: the policy compiler's
    /// parse, its problems (path inside the document and what) as the rejection reason.
    /// </summary>
    internal static string? ValidatePolicy(string name, string text)
    {
        try
        {
            _ = PolicyLoader.Parse(text, name);
            return null;
        }
        catch (PolicyLoadException e)
        {
            return string.Join("; ", e.Errors);
        }
    }

    private static Command EndpointCommand()
    {
        var name = NameArgument("endpoint");
        var address = new Option<string[]>("--address") { Description = "An IPv4 or IPv6 address (repeat for more)." };
        var label = new Option<string[]>("--label") { Description = "A label key=value (repeat for more)." };
        var host = new Option<string?>("--host") { Description = "The node the endpoint lives on." };
        var iface = new Option<string?>("--interface") { Description = "The host end of the endpoint's veth on that node." };
        var add = Leaf("add", "Add or replace an endpoint.", [name, address, label, host, iface], async (run, token) =>
        {
            string? n = run.Name(name);
            string[] addresses = run.Values(address);
            if (addresses.Length == 0)
            {
                run.Problem("--address", "at least one address is required");
            }

            var endpoint = new ClusterEndpoint(n ?? "", addresses, run.Result.GetValue(host), run.Result.GetValue(iface), run.Values(label));
            return await run.PutAsync(n is null ? null : run.Keys.Endpoint(n), ClusterValueWriter.Endpoint(endpoint), "--address/--label/--host/--interface", token);
        });
        var remove = Leaf("remove", "Remove an endpoint.", [name], (run, token) =>
            run.RemoveAsync(run.Name(name) is { } n ? run.Keys.Endpoint(n) : null, token));
        var list = Leaf("list", "List endpoints.", [], (run, token) => run.ListAsync(run.Keys.EndpointsPrefix, state =>
        {
            var rows = state.Endpoints.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            return run.Json
                ? JsonSerializer.Serialize(rows.Select(e => new EndpointRow(e.Name, [.. e.Addresses], e.Host, e.Interface, [.. e.Labels])).ToList(), CtlJsonContext.Default.ListEndpointRow)
                : Table(["NAME", "ADDRESSES", "HOST", "INTERFACE", "LABELS"],
                    rows.Select(e => new[] { e.Name, string.Join(",", e.Addresses), e.Host ?? "-", e.Interface ?? "-", string.Join(",", e.Labels) }));
        }, token));
        return new Command("endpoint", "Endpoints (containers): addresses, host, interface, labels.") { add, remove, list };
    }

    private static Command MappingCommand()
    {
        var sir = new Option<string?>("--sir-prefix") { Description = "The SIR /64 prefix, e.g. 2001:db8:5151::." };
        var identifier = new Option<string?>("--identifier") { Description = "The identifier, four hex groups, e.g. 1:0:0:2." };
        var locator = new Option<string?>("--locator") { Description = "The locator, e.g. 2001:db8:a::." };
        var mode = new Option<string?>("--checksum-mode") { Description = "neutral-map, neutral-map-auto, adjust-transport or no-action (default: the domain's)." };
        var add = Leaf("add", "Add or replace an ILA identifier -> locator mapping.", [sir, identifier, locator, mode], async (run, token) =>
        {
            string? key = run.MappingKey(sir, identifier);
            string? loc = run.Required(locator);
            var mapping = new ClusterMapping("", "", loc ?? "", run.Result.GetValue(mode));
            return await run.PutAsync(key, ClusterValueWriter.Mapping(mapping), "--locator/--checksum-mode", token);
        });
        var remove = Leaf("remove", "Remove a mapping.", [sir, identifier], (run, token) => run.RemoveAsync(run.MappingKey(sir, identifier), token));
        var list = Leaf("list", "List mappings.", [sir], (run, token) =>
        {
            string? only = run.Result.GetValue(sir);
            string? canonical = only is null ? null : ClusterSyntax.CanonicalSirPrefix(only);
            if (only is not null && canonical is null)
            {
                run.Problem("--sir-prefix", $"'{only}' is not an IPv6 /64 prefix (e.g. 2001:db8:5151::)");
            }

            string prefix = canonical is null ? run.Keys.MappingsPrefix : run.Keys.MappingsPrefix + canonical + "/";
            return run.ListAsync(prefix, state =>
            {
                var rows = state.Mappings.OrderBy(t => t.Key, StringComparer.Ordinal)
                    .SelectMany(t => t.Value.Values.OrderBy(m => m.Identifier, StringComparer.Ordinal)).ToList();
                return run.Json
                    ? JsonSerializer.Serialize(rows.Select(m => new MappingRow(m.SirPrefix, m.Identifier, m.Locator, m.ChecksumMode)).ToList(), CtlJsonContext.Default.ListMappingRow)
                    : Table(["SIR-PREFIX", "IDENTIFIER", "LOCATOR", "CHECKSUM-MODE"],
                        rows.Select(m => new[] { m.SirPrefix, m.Identifier, m.Locator, m.ChecksumMode ?? "-" }));
            }, token);
        });
        return new Command("mapping", "ILA identifier -> locator mappings per SIR prefix.") { add, remove, list };
    }

    private static Command FdbCommand()
    {
        var vni = VniOption();
        var mac = new Option<string?>("--mac") { Description = "The inner MAC, e.g. 02:00:00:00:00:01." };
        var vtep = new Option<string?>("--vtep") { Description = "The remote VTEP address." };
        var add = Leaf("add", "Add or replace a static FDB entry.", [vni, mac, vtep], async (run, token) =>
        {
            string? key = run.FdbKey(vni, mac);
            string? v = run.Required(vtep);
            return await run.PutAsync(key, ClusterValueWriter.Fdb(new ClusterFdbEntry(0, "", v ?? "")), "--vtep", token);
        });
        var remove = Leaf("remove", "Remove a static FDB entry.", [vni, mac], (run, token) => run.RemoveAsync(run.FdbKey(vni, mac), token));
        var list = Leaf("list", "List static FDB entries.", [vni], (run, token) => run.ListAsync(run.VxlanListPrefix(vni), state =>
        {
            var rows = state.Fdb.OrderBy(t => t.Key).SelectMany(t => t.Value.Values.OrderBy(f => f.Mac, StringComparer.Ordinal)).ToList();
            return run.Json
                ? JsonSerializer.Serialize(rows.Select(f => new FdbRow(f.Vni, f.Mac, f.Vtep)).ToList(), CtlJsonContext.Default.ListFdbRow)
                : Table(["VNI", "MAC", "VTEP"], rows.Select(f => new[] { f.Vni.ToString(CultureInfo.InvariantCulture), f.Mac, f.Vtep }));
        }, token));
        return new Command("fdb", "Static VXLAN FDB entries: inner MAC -> remote VTEP per VNI.") { add, remove, list };
    }

    private static Command FloodCommand()
    {
        var vni = VniOption();
        var vtep = new Option<string?>("--vtep") { Description = "The remote VTEP address." };
        var add = Leaf("add", "Add a VTEP to a VNI's flood list.", [vni, vtep], (run, token) =>
            run.PutAsync(run.FloodKey(vni, vtep), ClusterValueWriter.Flood(), "--vtep", token));
        var remove = Leaf("remove", "Remove a VTEP from a VNI's flood list.", [vni, vtep], (run, token) => run.RemoveAsync(run.FloodKey(vni, vtep), token));
        var list = Leaf("list", "List flood lists.", [vni], (run, token) => run.ListAsync(run.VxlanListPrefix(vni), state =>
        {
            var rows = state.Flood.OrderBy(t => t.Key).SelectMany(t => t.Value.Order(StringComparer.Ordinal).Select(v => new FloodRow(t.Key, v))).ToList();
            return run.Json
                ? JsonSerializer.Serialize(rows, CtlJsonContext.Default.ListFloodRow)
                : Table(["VNI", "VTEP"], rows.Select(f => new[] { f.Vni.ToString(CultureInfo.InvariantCulture), f.Vtep }));
        }, token));
        return new Command("flood", "VXLAN flood lists (head-end replication) per VNI.") { add, remove, list };
    }

    private static Command PolicyCommand()
    {
        var name = NameArgument("policy");
        var file = new Option<string?>("--file") { Description = "The policy document (JSON or YAML, Cilium format)." };
        var add = Leaf("add", "Add or replace a policy from a Cilium-format file (checked before it is written).", [name, file], async (run, token) =>
        {
            string? n = run.Name(name);
            string? path = run.Required(file);
            string text = "";
            if (path is not null)
            {
                try
                {
                    text = File.ReadAllText(path);
                    _ = PolicyLoader.Parse(text, path);
                }
                catch (PolicyLoadException e)
                {
                    foreach (var error in e.Errors)
                    {
                        run.Problem("--file", error.ToString());
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    run.Problem("--file", $"{path}: cannot be read: {e.Message}");
                }
            }

            return await run.PutAsync(n is null ? null : run.Keys.Policy(n), Encoding.UTF8.GetBytes(text), "--file", token);
        });
        var remove = Leaf("remove", "Remove a policy.", [name], (run, token) => run.RemoveAsync(run.Name(name) is { } n ? run.Keys.Policy(n) : null, token));
        var list = Leaf("list", "List policies.", [], (run, token) => run.ListAsync(run.Keys.PoliciesPrefix, state =>
        {
            var rows = state.Policies.Values.OrderBy(p => p.Name, StringComparer.Ordinal)
                .Select(p => new PolicyRow(p.Name, PolicyLoader.Parse(p.Text, p.Name).Count, p.Text)).ToList();
            return run.Json
                ? JsonSerializer.Serialize(rows, CtlJsonContext.Default.ListPolicyRow)
                : Table(["NAME", "RULES", "BYTES"], rows.Select(p => new[]
                {
                    p.Name, p.Rules.ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetByteCount(p.Text).ToString(CultureInfo.InvariantCulture),
                }));
        }, token, ValidatePolicy));
        return new Command("policy", "Network policies (Cilium format) by name.") { add, remove, list };
    }

    private static Command HostCommand()
    {
        var list = Leaf("list", "List the live hosts (published under their leases).", [], (run, token) => run.ListAsync(run.Keys.HostsPrefix, state =>
        {
            var rows = state.Hosts.Values.OrderBy(h => h.Node, StringComparer.Ordinal).Select(h => new HostRow(h.Node, h.Vtep, [.. h.Locators])).ToList();
            return run.Json
                ? JsonSerializer.Serialize(rows, CtlJsonContext.Default.ListHostRow)
                : Table(["NODE", "VTEP", "LOCATORS"], rows.Select(h => new[] { h.Node, h.Vtep ?? "-", string.Join(",", h.Locators) }));
        }, token));
        return new Command("host", "Hosts running xdpnet against this etcd (read-only: each publishes itself).") { list };
    }

    private static Argument<string?> NameArgument(string what) => new("name") { Description = $"The {what}'s name.", Arity = ArgumentArity.ZeroOrOne };

    private static Option<string?> VniOption() => new("--vni") { Description = "The VXLAN Network Identifier, 0..16777215." };

    private static Command Leaf(string name, string description, Symbol[] symbols, Func<CtlRun, CancellationToken, Task<int>> action)
    {
        var command = new Command(name, description) { TreatUnmatchedTokensAsErrors = false };
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Add(argument);
                    break;
                case Option option:
                    command.Add(option);
                    break;
            }
        }

        command.SetAction(async (parseResult, token) =>
        {
            var run = new CtlRun(parseResult);
            foreach (var token2 in parseResult.UnmatchedTokens)
            {
                run.Problem(token2, "unknown argument");
            }

            try
            {
                return await action(run, token).ConfigureAwait(false);
            }
            finally
            {
                run.Dispose();
            }
        });
        return command;
    }

    private static string Table(string[] headers, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { headers };
        all.AddRange(rows);
        var widths = new int[headers.Length];
        foreach (var row in all)
        {
            for (int i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        var text = new StringBuilder();
        foreach (var row in all)
        {
            for (int i = 0; i < row.Length; i++)
            {
                text.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            text.Append('\n');
        }

        return text.ToString().TrimEnd('\n');
    }

    /// <summary>One invocation: its options, the problems found in them, and the etcd client once they are all good.</summary>
    private sealed class CtlRun(ParseResult result) : IDisposable
    {
        private readonly List<string> _problems = [];
        private ClusterKeys? _keys;
        private EtcdClient? _client;

        public ParseResult Result { get; } = result;

        public bool Json => Result.GetValue(CtlCommand.Json);

        public ClusterKeys Keys => _keys ??= new ClusterKeys(string.IsNullOrEmpty(Result.GetValue(Prefix)) ? ClusterKeys.DefaultPrefix : Result.GetValue(Prefix)!);

        public void Problem(string option, string problem) => _problems.Add($"{option}: {problem}");

        public string[] Values(Option<string[]> option) => Result.GetValue(option) ?? [];

        public string? Required(Option<string?> option)
        {
            string? value = Result.GetValue(option);
            if (string.IsNullOrEmpty(value))
            {
                Problem(option.Name, "required");
                return null;
            }

            return value;
        }

        public string? Name(Argument<string?> argument)
        {
            string? name = Result.GetValue(argument);
            if (ClusterSyntax.NameProblem(name) is { } problem)
            {
                Problem(argument.Name.ToUpperInvariant(), name is null ? "required" : $"'{name}': {problem}");
                return null;
            }

            return name;
        }

        public string? MappingKey(Option<string?> sir, Option<string?> identifier)
        {
            string? s = Required(sir);
            string? i = Required(identifier);
            string? cs = s is null ? null : ClusterSyntax.CanonicalSirPrefix(s);
            string? ci = i is null ? null : ClusterSyntax.CanonicalIdentifier(i);
            if (s is not null && cs is null)
            {
                Problem(sir.Name, $"'{s}' is not an IPv6 /64 prefix (e.g. 2001:db8:5151::)");
            }

            if (i is not null && ci is null)
            {
                Problem(identifier.Name, $"'{i}' is not an identifier (four 16-bit hex groups, e.g. 1:0:0:2)");
            }

            return cs is null || ci is null ? null : Keys.Mapping(cs, ci);
        }

        public int? Vni(Option<string?> vni)
        {
            string? text = Required(vni);
            if (text is null)
            {
                return null;
            }

            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || !ClusterSyntax.IsVni(value))
            {
                Problem(vni.Name, $"'{text}' is not a VNI (0..16777215)");
                return null;
            }

            return value;
        }

        public string? FdbKey(Option<string?> vni, Option<string?> mac)
        {
            int? v = Vni(vni);
            string? m = Required(mac);
            string? cm = m is null ? null : ClusterSyntax.CanonicalMac(m);
            if (m is not null && cm is null)
            {
                Problem(mac.Name, $"'{m}' is not a MAC address (e.g. 02:00:00:00:00:01)");
            }

            return v is null || cm is null ? null : Keys.Fdb(v.Value, cm);
        }

        public string? FloodKey(Option<string?> vni, Option<string?> vtep)
        {
            int? v = Vni(vni);
            string? t = Required(vtep);
            string? ct = t is null ? null : ClusterSyntax.CanonicalAddress(t);
            if (t is not null && ct is null)
            {
                Problem(vtep.Name, $"'{t}' is not an IPv4 or IPv6 address");
            }

            return v is null || ct is null ? null : Keys.Flood(v.Value, ct);
        }

        public string VxlanListPrefix(Option<string?> vni) =>
            Result.GetValue(vni) is null ? Keys.VxlanPrefix
            : Vni(vni) is int v ? $"{Keys.VxlanPrefix}{v.ToString(CultureInfo.InvariantCulture)}/" : Keys.VxlanPrefix;

        /// <summary>Writes <paramref name="value"/> at <paramref name="key"/> once every option is good and the value parses as the watcher will parse it.</summary>
        public async Task<int> PutAsync(string? key, byte[] value, string valueOptions, CancellationToken token)
        {
            if (key is not null && _problems.Count == 0)
            {
                var parser = new ClusterEntryParser(Keys);
                if (parser.ParseKey(key, out var parsed) is { } keyProblem)
                {
                    Problem(valueOptions, keyProblem);
                }
                else if (parser.ParseValue(parsed, value, out _) is { } valueProblem)
                {
                    Problem(valueOptions, valueProblem);
                }
            }

            if (Refused() is int refused)
            {
                return refused;
            }

            return await EtcdAsync(async client =>
            {
                long revision = await client.PutAsync(key!, value, 0, token).ConfigureAwait(false);
                Console.WriteLine($"put {key} (revision {revision})");
                return 0;
            }).ConfigureAwait(false);
        }

        public async Task<int> RemoveAsync(string? key, CancellationToken token)
        {
            if (Refused() is int refused)
            {
                return refused;
            }

            return await EtcdAsync(async client =>
            {
                var deleted = await client.DeleteAsync(key!, token).ConfigureAwait(false);
                if (deleted.Deleted == 0)
                {
                    Console.Error.WriteLine($"ctl: {key} not found");
                    return FailedExitCode;
                }

                Console.WriteLine($"deleted {key} (revision {deleted.Revision})");
                return 0;
            }).ConfigureAwait(false);
        }

        public async Task<int> ListAsync(string prefix, Func<ClusterState, string> render, CancellationToken token, Func<string, string, string?>? policyValidator = null)
        {
            if (Refused() is int refused)
            {
                return refused;
            }

            return await EtcdAsync(async client =>
            {
                var range = await client.RangePrefixAsync(prefix, 0, token).ConfigureAwait(false);
                var editor = new ClusterStateEditor(ClusterState.Empty, new ClusterEntryParser(Keys, policyValidator));
                foreach (var kv in range.Kvs)
                {
                    editor.Put(kv.Key, kv.Value.Span, kv.ModRevision);
                }

                var state = editor.ToState(range.Revision);
                foreach (var (key, problem) in state.Rejected.OrderBy(r => r.Key, StringComparer.Ordinal))
                {
                    Console.Error.WriteLine($"warning: {key}: {problem}");
                }

                string text = render(state);
                if (text.Length > 0)
                {
                    Console.WriteLine(text);
                }

                return 0;
            }).ConfigureAwait(false);
        }

        public void Dispose() => _client?.Dispose();

        private int? Refused()
        {
            var endpoints = Endpoints();
            if (_problems.Count == 0 && endpoints is not null)
            {
                _client = new EtcdClient(endpoints);
                return null;
            }

            foreach (var problem in _problems)
            {
                Console.Error.WriteLine($"ctl: {problem}");
            }

            return BadInputExitCode;
        }

        private List<Uri>? Endpoints()
        {
            var texts = new List<string>();
            foreach (var value in Result.GetValue(Etcd) ?? [])
            {
                texts.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }

            if (texts.Count == 0 && Environment.GetEnvironmentVariable(EtcdEnvironmentVariable) is { Length: > 0 } fromEnvironment)
            {
                texts.AddRange(fromEnvironment.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }

            if (texts.Count == 0)
            {
                Problem("--etcd", $"required (or set {EtcdEnvironmentVariable})");
                return null;
            }

            var endpoints = new List<Uri>();
            foreach (var text in texts)
            {
                if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
                {
                    Problem("--etcd", $"'{text}' is not an http:// URL (e.g. http://198.18.0.1:2379)");
                }
                else
                {
                    endpoints.Add(uri);
                }
            }

            return _problems.Count == 0 ? endpoints : null;
        }

        private async Task<int> EtcdAsync(Func<EtcdClient, Task<int>> action)
        {
            try
            {
                return await action(_client!).ConfigureAwait(false);
            }
            catch (EtcdUnavailableException e)
            {
                Console.Error.WriteLine($"ctl: etcd unreachable (tried {string.Join(", ", e.EndpointsTried)}): {e.Message}");
                return FailedExitCode;
            }
            catch (EtcdException e)
            {
                Console.Error.WriteLine($"ctl: etcd at {_client!.CurrentEndpoint} failed: {e.Message}");
                return FailedExitCode;
            }
        }
    }
}

internal sealed record EndpointRow(string Name, List<string> Addresses, string? Host, string? Interface, List<string> Labels);

internal sealed record MappingRow(string SirPrefix, string Identifier, string Locator, string? ChecksumMode);

internal sealed record FdbRow(int Vni, string Mac, string Vtep);

internal sealed record FloodRow(int Vni, string Vtep);

internal sealed record PolicyRow(string Name, int Rules, string Text);

internal sealed record HostRow(string Node, string? Vtep, List<string> Locators);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(List<EndpointRow>))]
[JsonSerializable(typeof(List<MappingRow>))]
[JsonSerializable(typeof(List<FdbRow>))]
[JsonSerializable(typeof(List<FloodRow>))]
[JsonSerializable(typeof(List<PolicyRow>))]
[JsonSerializable(typeof(List<HostRow>))]
internal sealed partial class CtlJsonContext : JsonSerializerContext
{
}
