using System.CommandLine;
using XdpNet.Configuration;

namespace XdpNet.Cli;

/// <summary><c>xdpnet validate --config host.json</c>: load and validate only; prints OK or every error.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var config = XdpNetCommand.ConfigOption();
        var command = new Command("validate", "Check a host configuration without touching any interface.")
        {
            config,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parseResult =>
        {
            var loaded = HostConfigLoader.LoadAndValidate(parseResult.GetRequiredValue(config), XdpNetCommand.Overrides(parseResult));
            if (!loaded.Succeeded) return XdpNetCommand.Refuse(loaded.Errors);
            Console.WriteLine("OK");
            return 0;
        });
        return command;
    }
}
