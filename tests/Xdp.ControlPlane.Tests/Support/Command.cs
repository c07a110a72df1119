using System.Diagnostics;

namespace Xdp.ControlPlane.Tests.Support;

/// <summary>Runs a program to completion with a timeout; throws with its output unless it exits with 0.</summary>
internal static class Command
{
    public static string Run(string file, params string[] arguments)
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

        string commandLine = file + " " + string.Join(' ', arguments);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{commandLine}'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{commandLine}' did not finish within 30 s.");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{commandLine}' exited with {process.ExitCode}: {stdout.Result}{stderr.Result}");
        }

        return stdout.Result;
    }
}
