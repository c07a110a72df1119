using System.Diagnostics;

namespace XdpNet.IntegrationTests.Support;

/// <summary>Runs external programs with a timeout; a command that overruns is killed (with its children).</summary>
public static class Command
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="file"/> and returns its result whatever the exit code.</summary>
    /// <exception cref="TimeoutException">It ran longer than <paramref name="timeout"/>.</exception>
    public static CommandResult Run(string file, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        string commandLine = file + " " + string.Join(' ', info.ArgumentList);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{commandLine}'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? DefaultTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"'{commandLine}' did not finish within {(timeout ?? DefaultTimeout).TotalSeconds} s.");
        }

        process.WaitForExit(); // drains the redirected streams
        return new CommandResult(commandLine, process.ExitCode, stdout.Result, stderr.Result);
    }

    public static CommandResult Run(string file, params string[] arguments) => Run(file, arguments, null);

    /// <summary>Runs and throws (with both outputs) unless the exit code is 0.</summary>
    public static CommandResult RunChecked(string file, params string[] arguments) => Run(file, arguments, null).EnsureSuccess();
}
