using System.Diagnostics;
using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Cni;

/// <summary>What one plugin invocation printed and returned; <see cref="Json"/> parses stdout.</summary>
public sealed record CniInvocation(int ExitCode, string StdOut, string StdErr)
{
    public JsonDocument Json => JsonDocument.Parse(StdOut);

    /// <summary>The error object's code (the invocation must have failed with one).</summary>
    public int ErrorCode
    {
        get
        {
            using var doc = Json;
            return doc.RootElement.GetProperty("code").GetInt32();
        }
    }

    public override string ToString() => $"exit {ExitCode}\nstdout: {StdOut}\nstderr: {StdErr}";
}

/// <summary>
/// Runs <c>xdpnet-cni</c> as the CNI spec says a runtime does: CNI_* environment variables, the network configuration
/// on stdin, the answer on stdout. It runs in <see cref="HostNs"/> (the namespace standing for the host, where the
/// veths' host ends go and xdpnet runs), or in the test's own namespace when that is null.
/// </summary>
public sealed class CniPluginRunner(NetNs? hostNs)
{
    public static string PluginDll => Path.Combine(AppContext.BaseDirectory, "xdpnet-cni.dll");

    public NetNs? HostNs { get; } = hostNs;

    public CniInvocation Invoke(string command, string config, string containerId = "", string netns = "", string ifName = "eth0", string args = "", TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(HostNs is null ? "dotnet" : "ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (HostNs is not null)
        {
            foreach (var a in new[] { "netns", "exec", HostNs.Name, "dotnet" }) info.ArgumentList.Add(a);
        }
        info.ArgumentList.Add(PluginDll);
        info.Environment["CNI_COMMAND"] = command;
        info.Environment["CNI_CONTAINERID"] = containerId;
        info.Environment["CNI_NETNS"] = netns;
        info.Environment["CNI_IFNAME"] = ifName;
        info.Environment["CNI_ARGS"] = args;
        info.Environment["CNI_PATH"] = "/usr/lib/cni";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start xdpnet-cni");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(config);
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"xdpnet-cni {command} did not finish:\n{stderr.Result}");
        }
        process.WaitForExit();
        return new CniInvocation(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Names of the interfaces in the host namespace whose name starts with "xc" (the plugin's host ends).</summary>
    public IReadOnlyList<string> HostVeths()
    {
        var r = HostNs is null ? Command.Run("ip", "-j", "link", "show") : HostNs.Exec("ip", "-j", "link", "show");
        r.EnsureSuccess();
        using var doc = JsonDocument.Parse(r.StdOut);
        var names = new List<string>();
        foreach (var link in doc.RootElement.EnumerateArray())
        {
            var name = link.GetProperty("ifname").GetString()!;
            if (name.StartsWith("xc", StringComparison.Ordinal)) names.Add(name);
        }
        return names;
    }
}
