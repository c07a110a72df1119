using System.Text;
using XdpNet.Cni.Configuration;
using XdpNet.Cni.Plugin;
using XdpNet.Cni.Protocol;

namespace XdpNet.Cni;

/// <summary>
/// xdpnet-cni: a CNI 1.0 plugin. The runtime sets CNI_* variables and writes the network configuration to stdin;
/// the answer is a JSON document on stdout (the ADD result, the VERSION answer, nothing for DEL and CHECK) and exit
/// code 0, or the spec's error object and exit code 1. Diagnostics go to stderr.
/// </summary>
internal static class Program
{
    public static int Main()
    {
        var stdin = ReadStdin();
        var stdout = Console.Out;
        var (code, output) = Run(stdin, CniEnvironment.FromProcess, Console.Error);
        if (output.Length > 0) stdout.WriteLine(output);
        stdout.Flush();
        return code;
    }

    /// <summary>One invocation: exit code and what goes to stdout.</summary>
    internal static (int ExitCode, string Output) Run(byte[] stdin, Func<CniEnvironment> environment, TextWriter log)
    {
        try
        {
            var env = environment();
            switch (env.Command)
            {
                case CniCommand.Version:
                    var requested = NetworkConfigParser.RequestedVersion(stdin);
                    return (0, CniOutput.Version(CniVersion.IsSupported(requested) ? requested : CniVersion.Current));
                case CniCommand.Status:
                case CniCommand.Gc:
                    // STATUS and GC are CNI 1.1 verbs; this plugin speaks 1.0.0 (VERSION says so), where they do not exist.
                    throw new CniException(CniErrorCode.IncompatibleVersion,
                        $"CNI_COMMAND: {env.Command.ToString().ToUpperInvariant()} is a CNI 1.1 command; xdpnet-cni supports {string.Join(", ", CniVersion.Supported)}", "CNI_COMMAND");
            }
            var config = NetworkConfigParser.Parse(stdin);
            var plugin = new CniPlugin(config, env, log);
            switch (env.Command)
            {
                case CniCommand.Add:
                    return (0, plugin.Add().ToJson());
                case CniCommand.Del:
                    plugin.Del();
                    return (0, "");
                default:
                    plugin.Check();
                    return (0, "");
            }
        }
        catch (CniException e)
        {
            log.WriteLine($"xdpnet-cni: {e.Message}");
            return (1, CniOutput.Error(NetworkConfigParser.VersionForErrors(stdin), e.Code, e.Message, e.Details));
        }
#pragma warning disable CA1031 // whatever went wrong, the runtime needs the spec's error object, not a stack trace
        catch (Exception e)
#pragma warning restore CA1031
        {
            log.WriteLine($"xdpnet-cni: {e}");
            return (1, CniOutput.Error(NetworkConfigParser.VersionForErrors(stdin), CniErrorCode.IoFailure, e.Message, e.GetType().Name));
        }
    }

    private static byte[] ReadStdin()
    {
        if (!Console.IsInputRedirected) return [];
        using var stream = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
