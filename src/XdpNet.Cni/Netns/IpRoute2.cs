using System.Diagnostics;
using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Netns;

/// <summary>What one <c>ip</c> run printed and returned.</summary>
internal readonly record struct IpOutput(int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Runs iproute2, in the host's namespace or, through <c>nsenter --net=PATH</c>, in a container's. Executing the
/// tools rather than speaking rtnetlink: no netlink library is served here, and a veth pair, addresses and routes
/// are a handful of messages per container operation, where a process spawn (a few ms) costs nothing that matters;
/// iproute2 also accepts a namespace path for <c>netns</c>, which a PID or name-based API would not.
/// Both tools are looked up in the usual system directories first: runtimes do not always pass a PATH.
/// </summary>
internal static class IpRoute2
{
    private static readonly string[] Directories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];
    private static readonly Lazy<string> Ip = new(() => Find("ip"));
    private static readonly Lazy<string> Nsenter = new(() => Find("nsenter"));

    private static string Find(string tool)
    {
        foreach (var d in Directories)
        {
            var path = Path.Combine(d, tool);
            if (File.Exists(path)) return path;
        }
        foreach (var d in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(d, tool);
            if (File.Exists(path)) return path;
        }
        throw new CniException(CniErrorCode.InterfaceFailure, $"{tool} not found (install iproute2 and util-linux)", tool);
    }

    /// <summary>Runs <c>ip ARGS</c> in the host namespace (<paramref name="netns"/> null) or in <paramref name="netns"/>.</summary>
    public static IpOutput Run(string? netns, IEnumerable<string> arguments, string? stdin = null)
    {
        var info = new ProcessStartInfo(netns is null ? Ip.Value : Nsenter.Value)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        if (netns is not null)
        {
            info.ArgumentList.Add("--net=" + netns);
            info.ArgumentList.Add(Ip.Value);
        }
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new CniException(CniErrorCode.InterfaceFailure, $"cannot start {info.FileName}", info.FileName);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new CniException(CniErrorCode.InterfaceFailure, $"{Describe(netns, info.ArgumentList)} did not finish within 30 s", "");
        }
        process.WaitForExit();
        return new IpOutput(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>As <see cref="Run"/>, throwing code 101 with the command and its error output unless it exits with 0.</summary>
    public static IpOutput RunChecked(string? netns, IEnumerable<string> arguments, string? stdin = null)
    {
        var list = arguments as IReadOnlyCollection<string> ?? arguments.ToList();
        var result = Run(netns, list, stdin);
        if (!result.Succeeded)
        {
            var what = stdin is null ? Describe(netns, list) : Describe(netns, list) + " <<< " + stdin.Replace('\n', ';');
            throw new CniException(CniErrorCode.InterfaceFailure, $"'{what}' failed: {result.StdErr.Trim()}", what);
        }
        return result;
    }

    private static string Describe(string? netns, IEnumerable<string> arguments) =>
        (netns is null ? "ip " : $"nsenter --net={netns} ip ") + string.Join(' ', arguments);
}
