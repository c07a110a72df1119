using System.CommandLine;
using System.Runtime.InteropServices;
using XdpNet.Configuration;

namespace XdpNet.Cli;

/// <summary>
/// <c>xdpnet run --config host.json [--Section:Key=value ...]</c>: the data plane until SIGINT/SIGTERM; SIGHUP or a
/// change of the file reloads it live.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = XdpNetCommand.ConfigOption();
        var command = new Command("run", "Run the data plane until SIGINT or SIGTERM (then detach cleanly).")
        {
            config,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parseResult => Run(parseResult.GetRequiredValue(config), XdpNetCommand.Overrides(parseResult)));
        return command;
    }

    private static int Run(string configPath, IReadOnlyList<string> overrides)
    {
        // Everything is checked before anything is attached: a refused configuration leaves the host untouched.
        var loaded = HostConfigLoader.LoadAndValidate(configPath, overrides);
        if (!loaded.Succeeded) return XdpNetCommand.Refuse(loaded.Errors);

        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // keep the process alive until the data plane has detached
            stop.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        var fullPath = Path.GetFullPath(configPath);
        return Host.DataPlaneHost.Run(loaded.Config!, fullPath, stop.Token, () => HostConfigLoader.LoadAndValidate(fullPath, overrides));
    }
}
