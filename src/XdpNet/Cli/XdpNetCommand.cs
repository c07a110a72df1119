using System.CommandLine;

namespace XdpNet.Cli;

/// <summary>The <c>xdpnet</c> command line: run, validate, stats, conntrack, replay, ctl, endpoint.</summary>
public static class XdpNetCommand
{
    /// <summary>Exit code for a refused configuration or input (nothing was attached).</summary>
    public const int ConfigErrorExitCode = 2;

    public static RootCommand Create() =>
    [
        RunCommand.Create(),
        ValidateCommand.Create(),
        StatsCommand.Create(),
        ConntrackCommand.Create(),
        ReplayCommand.Create(),
        CtlCommand.Create(),
        EndpointCommand.Create(),
    ];

    public static int Invoke(string[] args)
    {
        var root = Create();
        root.Description = "XdpNet: a userspace container-network data plane on AF_XDP.";
        return root.Parse(args).Invoke();
    }

    /// <summary>The required <c>--config</c> option every configuration-reading command has.</summary>
    internal static Option<string> ConfigOption() => new("--config", "-c")
    {
        Description = "Host configuration file (JSON). Further --Section:Key=value arguments override it.",
        Required = true,
    };

    /// <summary>Arguments the parser did not recognise: configuration overrides such as <c>--Node:Cpu=1</c>.</summary>
    internal static IReadOnlyList<string> Overrides(ParseResult parseResult) => parseResult.UnmatchedTokens;

    internal static int Refuse(IEnumerable<Configuration.ConfigError> errors)
    {
        foreach (var e in errors) Console.Error.WriteLine($"config error: {e.Key}: {e.Problem}");
        return ConfigErrorExitCode;
    }
}
