using System.Net;
using System.Net.NetworkInformation;
using Xdp.Runtime.Bpf;
using Xdp.Runtime.Routing;
using XdpNet.Configuration;
using XdpNet.Pipeline;

namespace XdpNet.Replay;

/// <summary><c>xdpnet replay</c>: configuration to pipeline and steering, then <see cref="Replayer"/>. Returns the exit code.</summary>
public static class ReplaySession
{
    public const int Success = 0;
    public const int Failure = 2;

    public static int Run(string configPath, IReadOnlyList<string> overrides, string inputPath, string ingressName, string outputDirectory,
        TextWriter output, TextWriter error, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var loaded = HostConfigLoader.LoadAndValidate(configPath, overrides, environment);
        if (!loaded.Succeeded) return Refuse(error, loaded.Errors);
        var config = loaded.Config!;

        var ingress = config.Interfaces.FindIndex(i => i.Name == ingressName);
        if (ingress < 0)
        {
            return Refuse(error, [new ConfigError("--ingress", $"'{ingressName}' is not one of Interfaces ({string.Join(", ", config.Interfaces.Select(i => i.Name))})")]);
        }

        // Offline: an interface need not exist, but then its MAC must be configured (Interfaces:N:Mac).
        var errors = new List<ConfigError>();
        var interfaces = InterfaceResolver.Resolve(config, requireKernel: false, errors);
        if (errors.Count > 0) return Refuse(error, errors);

        SteeringDecider steering;
        var ownAddresses = OwnAddresses(config);
        try
        {
            steering = SteeringRulesFactory.Create(config, config.Interfaces[ingress], ownAddresses).Compile();
        }
        catch (ArgumentException e)
        {
            return Refuse(error, [new ConfigError($"Interfaces:{ingress}:Steering", e.Message)]);
        }

        // Routes without a next-hop MAC use what the kernel's neighbour table already knows; replay never
        // solicits, so an unknown neighbour is a NoNeighbour drop.
        var pipeline = HostPipelineBuilder.Build(config, interfaces, ReadNeighbours(), ownAddresses);
        var names = interfaces.Select(i => i.Name).ToArray();

        try
        {
            using var input = new PcapReader(File.OpenRead(inputPath));
            var result = Replayer.Run(ref pipeline, steering, names, ingress, config.Umem, input, outputDirectory);
            output.WriteLine($"replayed {result.Packets} packets from {inputPath} on {ingressName}: tx {result.Transmitted}, drop {result.Dropped}, pass {result.Passed}; output in {outputDirectory}");
            return Success;
        }
        catch (PcapFormatException e)
        {
            error.WriteLine($"replay: {inputPath}: malformed pcap: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"replay: {e.Message}");
        }
        return Failure;
    }

    private static int Refuse(TextWriter error, IReadOnlyList<ConfigError> errors)
    {
        foreach (var e in errors) error.WriteLine($"config error: {e.Key}: {e.Problem}");
        return Failure;
    }

    private static NeighbourTable ReadNeighbours()
    {
        try
        {
            using var resolver = NeighbourResolver.Open();
            return resolver.ReadTable();
        }
#pragma warning disable CA1031 // No netlink (e.g. a restricted container): replay still works with static MACs.
        catch (Exception)
#pragma warning restore CA1031
        {
            return NeighbourTable.Empty;
        }
    }

    /// <summary>The host's own addresses for steering: those of the configured interfaces that exist here.</summary>
    private static List<IPAddress> OwnAddresses(HostConfig config)
    {
        var result = new List<IPAddress>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (!config.Interfaces.Exists(i => i.Name == nic.Name)) continue;
            foreach (var u in nic.GetIPProperties().UnicastAddresses)
            {
                if (!u.Address.IsIPv6LinkLocal) result.Add(new IPAddress(u.Address.GetAddressBytes()));
            }
        }
        return result;
    }
}
