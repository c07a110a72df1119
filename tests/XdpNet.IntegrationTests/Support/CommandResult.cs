namespace XdpNet.IntegrationTests.Support;

/// <summary>What a finished command printed and returned.</summary>
public readonly record struct CommandResult(string CommandLine, int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws with the command line and both outputs unless the exit code was 0.</summary>
    public CommandResult EnsureSuccess() => Succeeded
        ? this
        : throw new InvalidOperationException($"'{CommandLine}' exited with {ExitCode}.\nstdout: {StdOut}\nstderr: {StdErr}");

    public override string ToString() => $"'{CommandLine}' -> {ExitCode}\nstdout: {StdOut}\nstderr: {StdErr}";
}
