using System.CommandLine;
using XdpNet.Replay;

namespace XdpNet.Cli;

/// <summary><c>xdpnet replay --config host.json --in input.pcap --ingress IFNAME --out-dir DIR</c>.</summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var config = XdpNetCommand.ConfigOption();
        var input = new Option<string>("--in") { Description = "Input pcap (classic pcap, Ethernet).", Required = true };
        var ingress = new Option<string>("--ingress") { Description = "Interface the packets arrive on (a name from Interfaces).", Required = true };
        var outDir = new Option<string>("--out-dir") { Description = "Directory for <egress>.pcap files and verdicts.jsonl.", Required = true };
        var command = new Command("replay", "Run the pipeline offline over a pcap file.")
        {
            config, input, ingress, outDir,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parseResult => ReplaySession.Run(
            parseResult.GetRequiredValue(config),
            XdpNetCommand.Overrides(parseResult),
            parseResult.GetRequiredValue(input),
            parseResult.GetRequiredValue(ingress),
            parseResult.GetRequiredValue(outDir),
            Console.Out,
            Console.Error));
        return command;
    }
}
