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
/// Podman runs in a host's namespace through <c>nsenter --net</c> (not <c>ip netns exec</c>: podman bind-mounts each
/// container's namespace under /run/netns and later calls must still see it), with storage of its own per host, so
/// two namespaced hosts are two podman installations sharing the configuration files.
/// </summary>
public sealed class PodmanRuntime : IDisposable
{
    public const string ContainersConf = "/etc/containers/containers.conf";
    public const string CniConfigDirectory = "/etc/cni/net.d";
    private static readonly string[] Packages = ["podman", "containernetworking-plugins", "busybox-static", "runc"];

    private readonly string _directory;
    private readonly List<NetNs> _hosts = [];
    private readonly string _suffix = UniqueName.Suffix(6);
    private readonly string? _originalConf;
    private readonly bool _cniDirectoryCreated;
    private readonly HashSet<string> _cniFilesBefore;

    /// <summary>Directories podman or libcni create outside the test's storage (libcni's result cache, ...), removed if this run created them.</summary>
    private static readonly string[] StateDirectories = ["/var/lib/cni", "/var/lib/containers", "/run/libpod", "/run/containers"];
    private readonly string[] _stateDirectoriesCreated;

    /// <param name="networks">Network name and the plugin's object of its conflist, one file each in /etc/cni/net.d.</param>
    public PodmanRuntime(string directory, IReadOnlyList<(string Name, string PluginConfig)> networks)
    {
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
            foreach (var (name, pluginConfig) in networks)
            {
                File.WriteAllText(Path.Combine(CniConfigDirectory, $"90-{name}.conflist"), $$"""
                    { "cniVersion": "1.0.0", "name": "{{name}}", "plugins": [ {{pluginConfig}} ] }
                    """);
            }
            Image = "localhost/xdpnet-busybox:" + _suffix;
            BuildBusyboxArchive();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Image { get; } = "";
    private string Archive => Path.Combine(_directory, "rootfs.tar");

    private static void EnsurePackages()
    {
        var missing = Packages.Where(p => !Command.Run("dpkg-query", "-W", "-f=${Status}", p).StdOut.Contains("install ok installed", StringComparison.Ordinal)).ToList();
        if (missing.Count == 0) return;
        Command.Run("apt-get", ["update", "-qq"], TimeSpan.FromMinutes(5));
        Command.Run("apt-get", ["install", "-y", "-qq", .. missing], TimeSpan.FromMinutes(10)).EnsureSuccess();
    }

    /// <summary>A root with /bin/busybox and its applets, imported as <see cref="Image"/> into each host's storage.</summary>
    private void BuildBusyboxArchive()
    {
        var root = Path.Combine(_directory, "rootfs");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        File.Copy("/bin/busybox", Path.Combine(root, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "ping", "ip", "sleep", "cat", "ls" })
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        Command.RunChecked("tar", "-C", root, "-cf", Archive, ".");
    }

    /// <summary><c>podman ARGS</c> in <paramref name="host"/> with that host's storage; <paramref name="cniArgs"/> becomes CNI_ARGS.</summary>
    public CommandResult Podman(NetNs host, string? cniArgs, params string[] arguments)
    {
        if (!_hosts.Contains(host))
        {
            _hosts.Add(host);
            Podman(host, null, "import", Archive, Image).EnsureSuccess();
        }
        var info = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Directories by host number: podman refuses a runroot longer than 50 characters.
        var n = _hosts.IndexOf(host).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var a in new[] { "--net=/run/netns/" + host.Name, "podman", "--root", Path.Combine(_directory, "storage" + n),
                     "--runroot", Path.Combine(_directory, "run" + n), "--storage-driver", "vfs" })
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

    /// <summary>Starts a detached container on <paramref name="network"/> (busybox sleeping), with NET_RAW for ping.</summary>
    public CommandResult Run(NetNs host, string network, string name, string? cniArgs) =>
        Podman(host, cniArgs, "run", "-d", "--name", name, "--network", network, "--cap-add", "NET_RAW", Image, "/bin/sleep", "600");

    public bool Ping(NetNs host, string container, string address) =>
        Podman(host, null, "exec", container, "/bin/ping", address.Contains(':', StringComparison.Ordinal) ? "-6" : "-4", "-c", "1", "-W", "1", address).Succeeded;

    public bool PingEventually(NetNs host, string container, string address, int attempts = 8)
    {
        for (var i = 0; i < attempts; i++)
        {
            if (Ping(host, container, address)) return true;
            Thread.Sleep(200);
        }
        return false;
    }

    public void Dispose()
    {
        try
        {
            foreach (var host in _hosts)
            {
                Podman(host, null, "rm", "-af", "-t", "0");
                Podman(host, null, "rmi", "-af");
            }
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
