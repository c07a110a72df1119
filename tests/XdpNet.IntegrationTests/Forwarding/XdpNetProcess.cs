using System.Diagnostics;
using System.Text;
using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Forwarding;

/// <summary>An <c>xdpnet</c> process started inside a namespace, with its output collected.</summary>
public sealed class XdpNetProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private XdpNetProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static string XdpNetDll => Path.Combine(AppContext.BaseDirectory, "xdpnet.dll");

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Starts <c>xdpnet ARGS</c> in <paramref name="ns"/> (or here when null).</summary>
    public static XdpNetProcess Start(NetNs? ns, params string[] arguments)
    {
        var info = new ProcessStartInfo(ns is null ? "dotnet" : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (ns is not null)
        {
            foreach (var a in new[] { "netns", "exec", ns.Name, "dotnet" }) info.ArgumentList.Add(a);
        }
        info.ArgumentList.Add(XdpNetDll);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        return new XdpNetProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start xdpnet"));
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.StartsWith("ready", StringComparison.Ordinal)) _ready.TrySetResult();
    }

    /// <summary>Waits for the "ready" line; fails with the process output if it exits or times out first.</summary>
    public void WaitReady(TimeSpan timeout)
    {
        var exited = _process.WaitForExitAsync();
        var first = Task.WhenAny(_ready.Task, exited, Task.Delay(timeout)).GetAwaiter().GetResult();
        if (first != _ready.Task)
            throw new InvalidOperationException($"xdpnet did not become ready ({(_process.HasExited ? $"exit {_process.ExitCode}" : "timeout")}):\n{Output}");
    }

    /// <summary>
    /// Asks for a clean shutdown and waits for the exit code. SIGTERM, which xdpnet handles as it does SIGINT: a
    /// test run started in the background by a shell without job control inherits SIGINT ignored, so SIGINT would
    /// never arrive there.
    /// </summary>
    public int Interrupt(TimeSpan timeout)
    {
        Command.Run("kill", "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return WaitExit(timeout);
    }

    /// <summary>SIGKILL: no cleanup in the process at all.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public int WaitExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            throw new TimeoutException($"xdpnet did not exit:\n{Output}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>One counters snapshot from <c>xdpnet stats --json</c> run in the same namespace.</summary>
    public static JsonDocument Stats(NetNs ns, string socketPath)
    {
        var r = ns.Exec("dotnet", XdpNetDll, "stats", "--socket", socketPath, "--json").EnsureSuccess();
        return JsonDocument.Parse(r.StdOut);
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
