using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Vxlan;

/// <summary>
/// xdpnet on host A against the kernel's VXLAN with the <c>gbp</c> option on host B: the Group Policy ID travels both
/// ways (the kernel turns a received ID into the skb mark and sends the mark as the ID), and frames too big for the
/// underlay are answered with ICMP carrying the overlay MTU, so ping reports it and TCP adapts.
/// </summary>
public abstract class VxlanGbpMtuTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : VxlanFixture
{
    private VxlanTopology T => fixture.Topology;

    private bool V6Underlay => T.Family == UnderlayFamily.Ipv6;

    /// <summary>The inner IP MTU the overlay leaves: 1500 minus 50 (IPv4 underlay) or 70 (IPv6 underlay).</summary>
    private int UsableMtu => V6Underlay ? 1430 : 1450;

    [RootFact]
    public void XdpNetSendsTheMembersGroupPolicyIdAndTheKernelMarksTheFrameWithIt()
    {
        var c1 = T[1];
        var c2 = T[2];
        var table = "xgbp" + UniqueName.Suffix(4);
        // A bridge-family counter on host B: frames the kernel VTEP decapsulated with c1's ID carry it as their mark.
        T.B.ExecChecked("nft", "add", "table", "bridge", table);
        try
        {
            T.B.ExecChecked("nft", "add", "chain", "bridge", table, "forwardchain", "{ type filter hook forward priority 0; }");
            T.B.ExecChecked("nft", "add", "rule", "bridge", table, "forwardchain", "meta", "mark",
                "0x" + VxlanTopology.GroupPolicyId(c1).ToString("x", CultureInfo.InvariantCulture), "counter");
            var headers = CaptureVxlanHeaders(T.Vtep('a'), () => Ping(c1, c2));
            Assert.Contains(headers, h => ((h[4] << 16) | (h[5] << 8) | h[6]) == 42);
            foreach (var h in headers)
            {
                Assert.Equal(0x88, h[0]); // G and I flags
                // Each segment has one member on host A: VNI 42 is c1's, VNI 43 (other traffic caught) c3's.
                var vni = (h[4] << 16) | (h[5] << 8) | h[6];
                Assert.Equal(VxlanTopology.GroupPolicyId(vni == 42 ? c1 : T[3]), (h[2] << 8) | h[3]);
            }
            var counted = CounterPackets(T.B, table, "forwardchain");
            Assert.True(counted >= 1, $"no frame on host B carried mark {VxlanTopology.GroupPolicyId(c1)}\n{T.Outputs}");
            using var stats = T.Stats('a');
            Assert.True(VxlanCounter(stats, "gbp_sent") >= 1);
        }
        finally
        {
            T.B.Exec("nft", "delete", "table", "bridge", table);
        }
    }

    [RootFact]
    public void TheKernelSendsTheMarkAsGroupPolicyIdAndXdpNetReadsIt()
    {
        var c1 = T[1];
        var c2 = T[2];
        const int mark = 0x2002;
        var table = "xgbp" + UniqueName.Suffix(4);
        T.B.ExecChecked("nft", "add", "table", "bridge", table);
        try
        {
            // Frames entering host B's bridge from c2 get a mark; the kernel VTEP sends it as the Group Policy ID.
            T.B.ExecChecked("nft", "add", "chain", "bridge", table, "prechain", "{ type filter hook prerouting priority 0; }");
            T.B.ExecChecked("nft", "add", "rule", "bridge", table, "prechain", "iifname", c2.HostSide, "meta", "mark", "set", "0x2002");
            long before;
            using (var s = T.Stats('a')) before = VxlanCounter(s, "gbp_received");
            var headers = CaptureVxlanHeaders(T.Vtep('b'), () => Ping(c2, c1));
            Assert.NotEmpty(headers);
            Assert.Contains(headers, h => h[0] == 0x88 && ((h[2] << 8) | h[3]) == mark);
            using var stats = T.Stats('a');
            Assert.True(VxlanCounter(stats, "gbp_received") > before, $"xdpnet read no Group Policy ID\n{T.Outputs}");
        }
        finally
        {
            T.B.Exec("nft", "delete", "table", "bridge", table);
        }
    }

    [RootFact]
    public void AFrameTooBigForTheUnderlayIsAnsweredWithTheOverlayMtuAndTcpAdapts()
    {
        var c1 = T[1];
        var c2 = T[2];
        // c1 believes its link carries 1500 bytes; only xdpnet knows the underlay leaves UsableMtu.
        SetMtu(c1, 1500);
        try
        {
            long before;
            using (var s = T.Stats('a')) before = VxlanCounter(s, "icmp_too_big_sent");

            var v4 = c1.Ns.Exec("ping", "-c", "1", "-W", "2", "-M", "do", "-s", "1472", c2.Ipv4);
            Assert.False(v4.Succeeded, "a 1500-byte IPv4 packet with DF crossed an overlay that cannot carry it");
            Assert.Contains($"mtu = {UsableMtu}", v4.StdOut + v4.StdErr, StringComparison.Ordinal);

            var v6 = c1.Ns.Exec("ping", "-6", "-c", "1", "-W", "2", "-s", "1452", c2.Ipv6);
            Assert.False(v6.Succeeded, "a 1500-byte IPv6 packet crossed an overlay that cannot carry it");
            Assert.Contains($"mtu={UsableMtu}", (v6.StdOut + v6.StdErr).Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);

            using (var s = T.Stats('a')) Assert.True(VxlanCounter(s, "icmp_too_big_sent") >= before + 2);

            // TCP at MSS 1460 learns the path MTU from those errors and gets through.
            using var server = Background(c2.Ns, "iperf3", "-s", "-1", "-B", c2.Ipv4);
            Thread.Sleep(300);
            var client = c1.Ns.Exec(TimeSpan.FromSeconds(15), "iperf3", "-c", c2.Ipv4, "-t", "1", "-J", "--connect-timeout", "3000");
            Assert.True(client.Succeeded, $"iperf3 over a too-small path: {client}\n{T.Outputs}");
            using var doc = JsonDocument.Parse(client.StdOut);
            Assert.True(doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetDouble() > 1_000_000);
        }
        finally
        {
            SetMtu(c1, T.OverlayMtu);
            c1.Ns.Exec("ip", "route", "flush", "cache");
        }
    }

    private void SetMtu(VxlanTopology.Container c, int mtu)
    {
        var text = mtu.ToString(CultureInfo.InvariantCulture);
        // Both ends: a veth drops frames longer than its peer's MTU.
        T.Host(c.Host).ExecChecked("ip", "link", "set", "dev", c.HostSide, "mtu", text);
        c.Ns.ExecChecked("ip", "link", "set", "dev", c.Inside, "mtu", text);
    }

    private static void Ping(VxlanTopology.Container from, VxlanTopology.Container to)
    {
        // The first request may meet an unresolved underlay neighbour or an unlearned MAC: a few tries.
        for (var i = 0; i < 5; i++)
        {
            if (from.Ns.Exec("ping", "-c", "2", "-i", "0.2", "-W", "1", to.Ipv4).Succeeded) return;
        }
        Assert.Fail($"{from} cannot ping {to}");
    }

    private static long VxlanCounter(JsonDocument stats, string name) =>
        stats.RootElement.GetProperty("stages").GetProperty("vxlan").GetProperty(name).GetInt64();

    private static long CounterPackets(NetNs ns, string table, string chain)
    {
        var result = ns.ExecChecked("nft", "-j", "list", "chain", "bridge", table, chain);
        using var doc = JsonDocument.Parse(result.StdOut);
        long packets = 0;
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (!item.TryGetProperty("rule", out var rule)) continue;
            foreach (var expr in rule.GetProperty("expr").EnumerateArray())
            {
                if (expr.TryGetProperty("counter", out var counter)) packets += counter.GetProperty("packets").GetInt64();
            }
        }
        return packets;
    }

    /// <summary>
    /// The 8-byte VXLAN headers of packets sent by <paramref name="vtep"/> on the underlay while <paramref name="traffic"/>
    /// runs, from tcpdump's hex dump (-x prints from the IP header on).
    /// </summary>
    private List<byte[]> CaptureVxlanHeaders(string vtep, Action traffic)
    {
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        string[] args = ["netns", "exec", T.Underlay.Name, "timeout", "5", "tcpdump", "-n", "-l", "-x", "-i", T.Bridge, "-c", "2",
            $"udp dst port {VxlanTopology.Port} and src host {vtep}"];
        foreach (var a in args) info.ArgumentList.Add(a);
        var lines = new List<string>();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var p = Process.Start(info) ?? throw new InvalidOperationException("could not start tcpdump");
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (lines) lines.Add(e.Data);
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true) listening.TrySetResult();
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        Assert.True(listening.Task.Wait(TimeSpan.FromSeconds(10)), "tcpdump did not start");
        traffic();
        p.WaitForExit(TimeSpan.FromSeconds(15));
        if (!p.HasExited) p.Kill(entireProcessTree: true);
        p.WaitForExit();

        var packets = new List<List<byte>>();
        lock (lines)
        {
            foreach (var line in lines)
            {
                var trimmed = line.Trim();
                if (!trimmed.StartsWith("0x", StringComparison.Ordinal))
                {
                    packets.Add([]);
                    continue;
                }
                if (packets.Count == 0) continue;
                var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
                foreach (var group in trimmed[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    for (var i = 0; i + 1 < group.Length; i += 2) packets[^1].Add(byte.Parse(group.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            }
        }
        var ipHeader = V6Underlay ? 40 : 20;
        var headers = new List<byte[]>();
        foreach (var bytes in packets)
        {
            if (bytes.Count >= ipHeader + 8 + 8) headers.Add(bytes.GetRange(ipHeader + 8, 8).ToArray());
        }
        return headers;
    }

    private static BackgroundCommand Background(NetNs ns, string file, params string[] args) => new(ns, file, args);

    private sealed class BackgroundCommand : IDisposable
    {
        private readonly Process _process;

        public BackgroundCommand(NetNs ns, string file, string[] args)
        {
            var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "netns", "exec", ns.Name, file }.Concat(args)) info.ArgumentList.Add(a);
            _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}

public sealed class GbpXdpNetKernelIpv4Fixture() : VxlanFixture(UnderlayFamily.Ipv4, VtepKind.XdpNet, VtepKind.Kernel, gbp: true);

public sealed class GbpXdpNetKernelIpv6Fixture() : VxlanFixture(UnderlayFamily.Ipv6, VtepKind.XdpNet, VtepKind.Kernel, gbp: true);

/// <summary>GBP and MTU: xdpnet on host A, the kernel's VXLAN with <c>gbp</c> on host B, IPv4 underlay.</summary>
[Collection("netns")]
public sealed class VxlanGbpMtuIpv4Tests(GbpXdpNetKernelIpv4Fixture f) : VxlanGbpMtuTests<GbpXdpNetKernelIpv4Fixture>(f);

/// <summary>GBP and MTU: xdpnet on host A, the kernel's VXLAN with <c>gbp</c> on host B, IPv6 underlay.</summary>
[Collection("netns")]
public sealed class VxlanGbpMtuIpv6Tests(GbpXdpNetKernelIpv6Fixture f) : VxlanGbpMtuTests<GbpXdpNetKernelIpv6Fixture>(f);
