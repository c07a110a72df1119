using System.Diagnostics;
using System.Text.Json;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Ctl;

/// <summary>
/// <c>xdpnet ctl</c> against a real etcd (Debian's etcd-server) listening on 198.18.254.1 inside a fresh namespace;
/// each command runs as its own process in that namespace, as an operator would run it.
/// </summary>
public sealed class CtlTests : IDisposable
{
    private const string EtcdPath = "/usr/bin/etcd";
    private const string Address = "198.18.254.1";
    private const string Url = $"http://{Address}:2379";
    private readonly NetNs _ns;
    private readonly Process? _etcd;
    private readonly string _dataDir;
    private readonly string _work;

    public CtlTests()
    {
        _ns = NetNs.Create("ctl");
        _dataDir = Directory.CreateTempSubdirectory("xdpnet-ctl-etcd-").FullName;
        _work = Directory.CreateTempSubdirectory("xdpnet-ctl-").FullName;
        if (!File.Exists(EtcdPath) || !Environment.IsPrivilegedProcess)
        {
            return;
        }

        _ns.ExecChecked("ip", "addr", "add", $"{Address}/32", "dev", "lo");
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["netns", "exec", _ns.Name, EtcdPath, "--name", "ctl", "--data-dir", _dataDir,
            "--listen-client-urls", Url, "--advertise-client-urls", Url,
            "--listen-peer-urls", $"http://{Address}:2380", "--initial-advertise-peer-urls", $"http://{Address}:2380",
            "--initial-cluster", $"ctl=http://{Address}:2380", "--log-level", "error", "--logger", "zap"])
        {
            info.ArgumentList.Add(a);
        }

        _etcd = Process.Start(info)!;
        _etcd.OutputDataReceived += (_, _) => { };
        _etcd.ErrorDataReceived += (_, _) => { };
        _etcd.BeginOutputReadLine();
        _etcd.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!Ctl("endpoint", "list").Succeeded)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "etcd did not start");
            Thread.Sleep(200);
        }
    }

    [EtcdFact]
    public void EndpointsMappingsFdbFloodAndPoliciesRoundTrip()
    {
        Ok("endpoint", "add", "web-1", "--address", "198.18.1.2", "--address", "2001:db8:1::2", "--label", "app=web", "--label", "k8s:tier=front", "--host", "node-a", "--interface", "veth1");
        Ok("endpoint", "add", "db-1", "--address", "198.18.1.3");
        var endpoints = JsonDocument.Parse(Ok("endpoint", "list", "--json").StdOut).RootElement;
        Assert.Equal(2, endpoints.GetArrayLength());
        var web = endpoints[1];
        Assert.Equal("web-1", web.GetProperty("name").GetString());
        Assert.Equal(["198.18.1.2", "2001:db8:1::2"], web.GetProperty("addresses").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["app=web", "k8s:tier=front"], web.GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("node-a", web.GetProperty("host").GetString());
        Assert.Contains("web-1", Ok("endpoint", "list").StdOut, StringComparison.Ordinal);
        Ok("endpoint", "remove", "db-1");
        Assert.Equal(1, JsonDocument.Parse(Ok("endpoint", "list", "--json").StdOut).RootElement.GetArrayLength());

        // Non-canonical input is written in canonical form.
        Ok("mapping", "add", "--sir-prefix", "2001:0db8:5151::/64", "--identifier", "0001:0:0:0002", "--locator", "2001:db8:a::");
        Ok("mapping", "add", "--sir-prefix", "2001:db8:5151::", "--identifier", "1:0:0:3", "--locator", "2001:db8:b::", "--checksum-mode", "no-action");
        var mappings = JsonDocument.Parse(Ok("mapping", "list", "--json").StdOut).RootElement;
        Assert.Equal(["2001:db8:5151::/1:0:0:2->2001:db8:a::", "2001:db8:5151::/1:0:0:3->2001:db8:b::"],
            mappings.EnumerateArray().Select(m => $"{m.GetProperty("sirPrefix").GetString()}/{m.GetProperty("identifier").GetString()}->{m.GetProperty("locator").GetString()}"));
        Ok("mapping", "remove", "--sir-prefix", "2001:db8:5151::", "--identifier", "1:0:0:2");
        Assert.Equal(1, JsonDocument.Parse(Ok("mapping", "list", "--json").StdOut).RootElement.GetArrayLength());

        Ok("fdb", "add", "--vni", "100", "--mac", "02:00:00:00:00:0A", "--vtep", "198.18.0.2");
        Ok("flood", "add", "--vni", "100", "--vtep", "198.18.0.3");
        Ok("flood", "add", "--vni", "100", "--vtep", "2001:db8::3");
        var fdb = JsonDocument.Parse(Ok("fdb", "list", "--json").StdOut).RootElement;
        Assert.Equal("02:00:00:00:00:0a", Assert.Single(fdb.EnumerateArray()).GetProperty("mac").GetString());
        Assert.Equal(2, JsonDocument.Parse(Ok("flood", "list", "--json", "--vni", "100").StdOut).RootElement.GetArrayLength());
        Ok("flood", "remove", "--vni", "100", "--vtep", "198.18.0.3");
        Ok("fdb", "remove", "--vni", "100", "--mac", "02:00:00:00:00:0a");
        Assert.Equal(0, JsonDocument.Parse(Ok("fdb", "list", "--json").StdOut).RootElement.GetArrayLength());
        Assert.Equal("2001:db8::3", Assert.Single(JsonDocument.Parse(Ok("flood", "list", "--json").StdOut).RootElement.EnumerateArray()).GetProperty("vtep").GetString());

        string good = Path.Combine(_work, "web.yaml");
        File.WriteAllText(good, """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata:
              name: web
            spec:
              endpointSelector:
                matchLabels:
                  app: web
              ingress:
                - fromEndpoints:
                    - matchLabels:
                        app: client
            """);
        Ok("policy", "add", "web", "--file", good);
        var policies = JsonDocument.Parse(Ok("policy", "list", "--json").StdOut).RootElement;
        var policy = Assert.Single(policies.EnumerateArray());
        Assert.Equal("web", policy.GetProperty("name").GetString());
        Assert.Equal(1, policy.GetProperty("rules").GetInt32());
        Assert.Equal(File.ReadAllText(good), policy.GetProperty("text").GetString());
        Ok("policy", "remove", "web");
        Assert.Equal(0, JsonDocument.Parse(Ok("policy", "list", "--json").StdOut).RootElement.GetArrayLength());
    }

    [EtcdFact]
    public void BadInputIsRefusedWithExit2NamingTheOptionAndNothingIsWritten()
    {
        string bad = Path.Combine(_work, "bad.json");
        File.WriteAllText(bad, """[{"endpointSelector":{"matchLabels":{"app":"web"}},"ingress":[{"toPorts":[{"ports":[{"port":"99999","protocol":"TCP"}]}]}]}]""");
        var refused = Ctl("policy", "add", "web", "--file", bad);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"--file: {bad}: [0].ingress[0].toPorts[0]", refused.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, JsonDocument.Parse(Ok("policy", "list", "--json").StdOut).RootElement.GetArrayLength());

        Refused(["fdb", "add", "--vni", "16777216", "--mac", "02:00:00:00:00:01", "--vtep", "198.18.0.2"], "--vni: '16777216' is not a VNI");
        Refused(["fdb", "add", "--vni", "1", "--mac", "02:00:00:00:00", "--vtep", "198.18.0.2"], "--mac: '02:00:00:00:00' is not a MAC");
        Refused(["endpoint", "add", "web-1"], "--address: at least one address is required");
        Refused(["endpoint", "add", "web-1", "--address", "198.18.1.300"], "addresses[0]: '198.18.1.300' is not an IPv4 or IPv6 address");
        Refused(["mapping", "add", "--sir-prefix", "2001:db8:5151::1", "--identifier", "1:0:0:2", "--locator", "2001:db8:a::"], "--sir-prefix: '2001:db8:5151::1'");
        Refused(["mapping", "add", "--sir-prefix", "2001:db8:5151::", "--identifier", "1:0:0:2"], "--locator: required");
        Refused(["mapping", "add", "--sir-prefix", "2001:db8:5151::", "--identifier", "1:0:0:2", "--locator", "2001:db8:a::", "--checksum-mode", "x"], "checksumMode: 'x'");
        Refused(["endpoint", "list", "--bogus"], "--bogus: unknown argument");
        Assert.Equal(0, JsonDocument.Parse(Ok("mapping", "list", "--json").StdOut).RootElement.GetArrayLength());
        Assert.Equal(0, JsonDocument.Parse(Ok("endpoint", "list", "--json").StdOut).RootElement.GetArrayLength());

        var missing = Ctl("endpoint", "remove", "nobody");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("/xdpnet/endpoints/nobody not found", missing.StdErr, StringComparison.Ordinal);
    }

    [EtcdFact]
    public void AnUnreachableEtcdIsExit1NamingTheEndpointsTried()
    {
        var result = _ns.Exec("dotnet", XdpNetProcess.XdpNetDll, "ctl", "--etcd", $"http://{Address}:2399,http://{Address}:2398", "endpoint", "list");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"etcd unreachable (tried http://{Address}:2399/, http://{Address}:2398/)", result.StdErr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (_etcd is not null)
        {
            try
            {
                _etcd.Kill();
                _etcd.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }

            _etcd.Dispose();
        }

        _ns.Dispose();
        Directory.Delete(_dataDir, recursive: true);
        Directory.Delete(_work, recursive: true);
    }

    private CommandResult Ctl(params string[] arguments) =>
        _ns.Exec("dotnet", [XdpNetProcess.XdpNetDll, "ctl", "--etcd", Url, .. arguments]);

    private CommandResult Ok(params string[] arguments) => Ctl(arguments).EnsureSuccess();

    private void Refused(string[] arguments, string expected)
    {
        var result = Ctl(arguments);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.StdErr, StringComparison.Ordinal);
    }
}
