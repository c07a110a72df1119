using System.Diagnostics;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Cni;

/// <summary>
/// Debian's podman 4 set up to run containers on an xdpnet-cni network, and put back as it was on Dispose:
/// <list type="bullet">
/// <item>installs podman, containernetworking-plugins (loopback), busybox-static and runc with apt when missing;</item>
/// <item>writes /etc/containers/containers.conf (the original is kept and restored): runc (crun refuses the hybrid
/// cgroup layout here), <c>default_ulimits = []</c> (RLIMIT_NOFILE cannot be set here), cgroupfs, the CNI backend, the
/// plugin directory of this run first in <c>cni_plugin_dirs</c>;</item>
/// <item>the network in /etc/cni/net.d (every file podman adds there is removed again), the plugin as a wrapper
/// script running xdpnet-cni.dll;</item>
/// <item>images and containers in the test's own storage (<c>--root</c>, <c>--runroot</c>, vfs), a busybox image made
/// with <c>podman import</c> (no registry is reachable).</item>
/// </list>
/// Podman runs in the host namespace of <see cref="CniHost"/> through <c>nsenter --net</c> (not <c>ip netns exec</c>:
/// podman bind-mounts each container's namespace under /run/netns and later calls must still see it).
/// </summary>
public sealed class PodmanRuntime : IDisposable
{
    public const string ContainersConf = "/etc/containers/containers.conf";
    public const string CniConfigDirectory = "/etc/cni/net.d";
    private static readonly string[] Packages = ["podman", "containernetworking-plugins", "busybox-static", "runc"];

    private readonly NetNs _host;
    private readonly string _directory;
    private readonly string _suffix = UniqueName.Suffix(6);
    private readonly string? _originalConf;
    private readonly bool _cniDirectoryCreated;
    private readonly HashSet<string> _cniFilesBefore;

    /// <summary>Directories podman or libcni create outside the test's storage (libcni's result cache, ...), removed if this run created them.</summary>
    private static readonly string[] StateDirectories = ["/var/lib/cni", "/var/lib/containers", "/run/libpod", "/run/containers"];
    private readonly string[] _stateDirectoriesCreated;

    public PodmanRuntime(NetNs host, string directory, string networkName, string pluginConfig)
    {
        _host = host;
        _directory = Path.Combine(directory, "podman");
        Directory.CreateDirectory(_directory);
        EnsurePackages();

        _originalConf = File.Exists(ContainersConf) ? File.ReadAllText(ContainersConf) : null;
        _cniDirectoryCreated = !Directory.Exists(CniConfigDirectory);
        Directory.CreateDirectory(CniConfigDirectory);
        _cniFilesBefore = [.. Directory.EnumerateFileSystemEntries(CniConfigDirectory)];
        _stateDirectoriesCreated = [.. StateDirectories.Where(d => !Directory.Exists(d))];
        try
        {
            var plugins = Path.Combine(_directory, "plugins");
            Directory.CreateDirectory(plugins);
            var wrapper = Path.Combine(plugins, "xdpnet-cni");
            File.WriteAllText(wrapper, $"#!/bin/sh\nexec /usr/bin/dotnet {CniPluginRunner.PluginDll} \"$@\"\n");
            Command.RunChecked("chmod", "755", wrapper);
            Directory.CreateDirectory(Path.GetDirectoryName(ContainersConf)!);
            File.WriteAllText(ContainersConf, $"""
                # Written by the XdpNet podman test; the original is restored when the test ends.
                [containers]
                default_ulimits = []

                [engine]
                runtime = "runc"
                cgroup_manager = "cgroupfs"
                events_logger = "file"
                tmp_dir = "{Path.Combine(_directory, "tmp")}"

                [network]
                network_backend = "cni"
                cni_plugin_dirs = ["{plugins}", "/usr/lib/cni"]
                network_config_dir = "{CniConfigDirectory}"
                """);
            NetworkName = networkName;
            File.WriteAllText(ConflistPath, $$"""
                { "cniVersion": "1.0.0", "name": "{{networkName}}", "plugins": [ {{pluginConfig}} ] }
                """);
            Image = "localhost/xdpnet-busybox:" + _suffix;
            ImportBusybox();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string NetworkName { get; }
    public string Image { get; } = "";
    public string ConflistPath => Path.Combine(CniConfigDirectory, $"90-{NetworkName}.conflist");

    private static void EnsurePackages()
    {
        var missing = Packages.Where(p => !Command.Run("dpkg-query", "-W", "-f=${Status}", p).StdOut.Contains("install ok installed", StringComparison.Ordinal)).ToList();
        if (missing.Count == 0) return;
        Command.Run("apt-get", ["update", "-qq"], TimeSpan.FromMinutes(5));
        Command.Run("apt-get", ["install", "-y", "-qq", .. missing], TimeSpan.FromMinutes(10)).EnsureSuccess();
    }

    /// <summary>A root with /bin/busybox and its applets, imported as <see cref="Image"/>.</summary>
    private void ImportBusybox()
    {
        var root = Path.Combine(_directory, "rootfs");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        File.Copy("/bin/busybox", Path.Combine(root, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "ping", "ip", "sleep", "cat", "ls" })
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        var tar = Path.Combine(_directory, "rootfs.tar");
        Command.RunChecked("tar", "-C", root, "-cf", tar, ".");
        Podman(null, "import", tar, Image).EnsureSuccess();
    }

    /// <summary><c>podman ARGS</c> in the host namespace with this test's storage; <paramref name="cniArgs"/> becomes CNI_ARGS.</summary>
    public CommandResult Podman(string? cniArgs, params string[] arguments)
    {
        var info = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--net=/run/netns/" + _host.Name, "podman", "--root", Path.Combine(_directory, "storage"),
                     "--runroot", Path.Combine(_directory, "run"), "--storage-driver", "vfs" })
            info.ArgumentList.Add(a);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        if (cniArgs is not null) info.Environment["CNI_ARGS"] = cniArgs;
        var line = "podman " + string.Join(' ', arguments);
        using var p = Process.Start(info) ?? throw new InvalidOperationException("cannot start podman");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{line}' did not finish: {stderr.Result}");
        }
        p.WaitForExit();
        return new CommandResult(line, p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts a detached container on the network (busybox sleeping), with NET_RAW for ping.</summary>
    public CommandResult Run(string name, string? cniArgs) =>
        Podman(cniArgs, "run", "-d", "--name", name, "--network", NetworkName, "--cap-add", "NET_RAW", Image, "/bin/sleep", "600");

    public bool Ping(string container, string address) =>
        Podman(null, "exec", container, "/bin/ping", "-6", "-c", "1", "-W", "1", address).Succeeded;

    public bool PingEventually(string container, string address, int attempts = 8)
    {
        for (var i = 0; i < attempts; i++)
        {
            if (Ping(container, address)) return true;
            Thread.Sleep(200);
        }
        return false;
    }

    public void Dispose()
    {
        try
        {
            Podman(null, "rm", "-af", "-t", "0");
            Podman(null, "rmi", "-af");
        }
#pragma warning disable CA1031 // clean-up goes on: the configuration must be restored whatever podman says
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        if (_originalConf is null) File.Delete(ContainersConf);
        else File.WriteAllText(ContainersConf, _originalConf);
        if (Directory.Exists(CniConfigDirectory))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(CniConfigDirectory))
            {
                if (!_cniFilesBefore.Contains(entry)) File.Delete(entry);
            }
            if (_cniDirectoryCreated && !Directory.EnumerateFileSystemEntries(CniConfigDirectory).Any()) Directory.Delete(CniConfigDirectory);
        }
        foreach (var d in _stateDirectoriesCreated)
        {
            if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
        // Anything podman left mounted under the test's storage (vfs mounts nothing, but a failed run may) before deleting it.
        foreach (var line in File.ReadAllLines("/proc/mounts").Reverse())
        {
            var mountPoint = line.Split(' ')[1];
            if (mountPoint.StartsWith(_directory, StringComparison.Ordinal)) Command.Run("umount", "-l", mountPoint);
        }
    }
}
