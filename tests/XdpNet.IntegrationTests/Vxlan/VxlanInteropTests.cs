using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Vxlan;

/// <summary>
/// RFC 7348 overlays between two container hosts (<see cref="VxlanTopology"/>), one class per pair of VTEPs and
/// underlay family: the kernel's VXLAN device on both hosts (the baseline proving the topology), xdpnet against the
/// kernel, and xdpnet on both hosts. Every class checks the same behaviour: ping and iperf3 TCP between the
/// containers of a segment in both directions, ARP and NDP resolved across the overlay by flooding, each side
/// learning the other's container MACs behind the other's VTEP, and the two VNIs kept apart.
/// </summary>
public abstract class VxlanInteropTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : VxlanFixture
{
    /// <summary>The segments' pairs across hosts: (c1 on A, c2 on B) in VNI 42, (c3 on A, c4 on B) in VNI 43.</summary>
    private static readonly (int From, int To)[] SegmentPairs = [(1, 2), (2, 1), (3, 4), (4, 3)];

    private VxlanTopology T => fixture.Topology;

    [RootFact]
    public void PingIpv4CrossesTheOverlayInBothDirectionsInBothSegments()
    {
        foreach (var (from, to) in SegmentPairs) AssertPing(from, to, v6: false);
    }

    [RootFact]
    public void PingIpv6CrossesTheOverlayInBothDirectionsInBothSegments()
    {
        foreach (var (from, to) in SegmentPairs) AssertPing(from, to, v6: true);
    }

    /// <summary>
    /// With the containers' neighbour tables flushed, a ping resolves its peer across the overlay: the ARP request
    /// (broadcast) and the Neighbor Solicitation (solicited-node multicast) can only reach the other host by head-end
    /// replication to the flood list. The entry ends REACHABLE with the peer's MAC, made by no static entry.
    /// </summary>
    [RootFact]
    public void ArpAndNdpResolveAcrossTheOverlayByFlooding()
    {
        var flooded = FloodedByXdpNet();
        foreach (var (from, to) in SegmentPairs)
        {
            foreach (var v6 in new[] { false, true })
            {
                var c = T[from];
                c.Ns.ExecChecked("ip", v6 ? "-6" : "-4", "neigh", "flush", "dev", c.Inside);
                AssertPing(from, to, v6);
                var entry = Neighbour(c, T[to].Address(v6));
                Assert.True(entry is { State: "REACHABLE" } && entry.Value.Mac == T[to].Mac,
                    $"{c}'s {(v6 ? "NDP" : "ARP")} entry for {T[to]} is {entry?.ToString() ?? "missing"}, expected REACHABLE {T[to].Mac}");
            }
        }
        foreach (var (host, before) in flooded)
        {
            Assert.True(VxlanCounter(host, "flooded") > before, $"host {host}'s xdpnet replicated no frame to its flood list:\n{StatsText(host)}");
        }
    }

    /// <summary>
    /// After traffic in both segments, each VTEP has learned the other host's container MACs behind the other
    /// host's VTEP address, in the right VNI: the kernel in its VXLAN devices' FDB, xdpnet in its stats.
    /// </summary>
    [RootFact]
    public void EachSideLearnsTheRemoteContainerMacsBehindTheRemoteVtep()
    {
        foreach (var (from, to) in SegmentPairs) AssertPing(from, to, v6: false);
        foreach (var host in new[] { 'a', 'b' })
        {
            var other = host == 'a' ? 'b' : 'a';
            var learned = T.Kind(host) == VtepKind.XdpNet ? XdpNetFdb(host) : [];
            foreach (var c in T.Containers)
            {
                if (c.Host != other) continue;
                if (T.Kind(host) == VtepKind.Kernel)
                {
                    var fdb = KernelFdb(host, c.Vni);
                    Assert.True(fdb.Any(e => e.Mac == c.Mac && SameAddress(e.Dst, T.Vtep(other))),
                        $"host {host}'s kernel did not learn {c} ({c.Mac}) behind {T.Vtep(other)} on {VxlanTopology.KernelVxlanDevice(c.Vni)}:\n{string.Join('\n', fdb)}");
                    // Learned in its own segment only.
                    var wrong = VxlanTopology.Vnis.Single(v => v != c.Vni);
                    Assert.DoesNotContain(KernelFdb(host, wrong), e => e.Mac == c.Mac);
                }
                else
                {
                    var fdb = learned;
                    Assert.True(fdb.Any(e => e.Vni == c.Vni && e.Mac == c.Mac && SameAddress(e.Vtep, T.Vtep(other))),
                        $"host {host}'s xdpnet did not learn {c} ({c.Mac}) behind {T.Vtep(other)} in VNI {c.Vni}:\n{string.Join('\n', fdb)}\n{StatsText(host)}");
                    Assert.DoesNotContain(fdb, e => e.Vni != c.Vni && e.Mac == c.Mac);
                }
            }
        }
    }

    /// <summary>
    /// All four containers share one IPv4 /24 and one IPv6 /64: only the VNI separates the tenants. Across
    /// segments nothing answers, whether the other container is on the other host or on the same one, and the
    /// target never even saw the ARP request (it would hold a neighbour entry for the sender); within a segment
    /// both pairs still reach each other.
    /// </summary>
    [RootFact]
    public void TheTwoVnisAreIsolated()
    {
        (int From, int To, bool V6)[] across = [(1, 4, false), (3, 2, false), (1, 3, false), (4, 2, false), (1, 4, true), (2, 3, true)];
        var results = new bool[across.Length];
        Parallel.For(0, across.Length, i => results[i] = Ping(T[across[i].From], T[across[i].To].Address(across[i].V6), count: 2).Succeeded);
        for (var i = 0; i < across.Length; i++)
        {
            var (from, to, v6) = across[i];
            Assert.False(results[i], $"{T[from]} reached {T[to]} over IPv{(v6 ? 6 : 4)} across segments");
            var leaked = Neighbour(T[to], T[from].Address(v6));
            Assert.True(leaked is null || leaked.Value.Mac is null,
                $"{T[to]} holds a neighbour entry for {T[from]} ({leaked}): the other segment's {(v6 ? "solicitation" : "ARP request")} reached it");
        }
        AssertPing(1, 2, v6: false);
        AssertPing(3, 4, v6: false);
    }

    /// <summary>
    /// iperf3 TCP each way in both segments (IPv4 inside VNI 42, IPv6 inside VNI 43): full-size segments
    /// (the containers' MTU makes 1500-byte outer packets), both kernels' checksum offloads on. No run fails, each
    /// moves data, and no xdpnet VTEP dropped anything under a VXLAN reason.
    /// </summary>
    [RootFact]
    public void Iperf3TcpCrossesTheOverlayInBothDirections()
    {
        foreach (var (from, to) in SegmentPairs) AssertPing(from, to, v6: from is 3 or 4);
        foreach (var (from, to) in SegmentPairs)
        {
            var bytes = Iperf3(T[from], T[to], v6: from is 3 or 4);
            Assert.True(bytes > 1_000_000, $"iperf3 {T[from]} -> {T[to]} moved only {bytes} bytes\n{Diagnostics()}");
        }
        foreach (var host in new[] { 'a', 'b' })
        {
            if (T.Kind(host) != VtepKind.XdpNet) continue;
            var drops = VxlanDrops(host);
            Assert.True(drops.Count == 0, $"host {host}'s xdpnet dropped VXLAN traffic: {string.Join(", ", drops)}\n{StatsText(host)}");
        }
    }

    /// <summary>
    /// On the underlay, a ping between c1 and c2 is UDP to port 4789 between the two VTEP addresses with the I flag
    /// and VNI 42 (tcpdump decodes the VXLAN header, RFC 7348 section 5), and the inner packet is the containers'.
    /// </summary>
    [RootFact]
    public void TheUnderlayCarriesVxlanBetweenTheVtepsWithTheSegmentsVni()
    {
        AssertPing(1, 2, v6: false);
        // Outer IPv4 (20 bytes) or IPv6 (40) + UDP 8 + VXLAN 8 + inner Ethernet 14: only inner ICMPv4 frames, so
        // the segments' other chatter (DAD, MLD reports) cannot fill the count.
        var filter = T.Family == UnderlayFamily.Ipv4
            ? "udp dst port 4789 and ip[48:2] = 0x0800 and ip[59] = 1"
            : "udp dst port 4789 and ip6[68:2] = 0x0800 and ip6[79] = 1";
        var lines = CaptureUnderlay(4, filter,
            () => Assert.True(Ping(T[1], T[2].Ipv4, 2).Succeeded, Diagnostics()));
        // tcpdump prints each packet as two lines: the outer headers up to VXLAN, then the inner packet.
        var requests = 0;
        var replies = 0;
        var packets = 0;
        for (var i = 0; i + 1 < lines.Count; i++)
        {
            var outer = lines[i];
            if (!outer.Contains("VXLAN", StringComparison.Ordinal)) continue;
            var inner = lines[++i];
            Assert.Contains("VXLAN, flags [I] (0x08)", outer, StringComparison.Ordinal);
            var request = inner.Contains($"{T[1].Ipv4} > {T[2].Ipv4}: ICMP echo request", StringComparison.Ordinal);
            var reply = inner.Contains($"{T[2].Ipv4} > {T[1].Ipv4}: ICMP echo reply", StringComparison.Ordinal);
            if (!request && !reply) continue; // other frames of the segments (router solicitations, MLD reports)
            packets++;
            Assert.Contains("VXLAN, flags [I] (0x08), vni 42", outer, StringComparison.Ordinal);
            var fromA = outer.Contains($" {T.Vtep('a')}.", StringComparison.Ordinal) && outer.Contains($"> {T.Vtep('b')}.{VxlanTopology.Port}:", StringComparison.Ordinal);
            var fromB = outer.Contains($" {T.Vtep('b')}.", StringComparison.Ordinal) && outer.Contains($"> {T.Vtep('a')}.{VxlanTopology.Port}:", StringComparison.Ordinal);
            Assert.True(fromA || fromB, $"not between the VTEPs: {outer}");
            if (fromA && request) requests++;
            if (fromB && reply) replies++;
        }
        Assert.True(packets == 4 && requests == 2 && replies == 2, $"expected 2 requests A->B and 2 replies B->A, all VXLAN:\n{string.Join('\n', lines)}");
    }

    // ---- helpers ----

    private CommandResult Ping(VxlanTopology.Container from, string address, int count = 3) =>
        from.Ns.Exec(TimeSpan.FromSeconds(20), "ping", address.Contains(':', StringComparison.Ordinal) ? "-6" : "-4",
            "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-W", "1", address);

    /// <summary>
    /// Pings until the first answer (an xdpnet VTEP drops the first frames to a VTEP whose MAC the kernel is still
    /// resolving; ARP itself retries once a second), then requires every echo of one more run to be answered.
    /// </summary>
    private void AssertPing(int from, int to, bool v6, int count = 3)
    {
        var c = T[from];
        var address = T[to].Address(v6);
        var warm = false;
        for (var i = 0; i < 10 && !warm; i++) warm = Ping(c, address, 1).Succeeded;
        var r = Ping(c, address, count);
        Assert.True(warm && r.Succeeded && r.StdOut.Contains($"{count} received", StringComparison.Ordinal),
            $"{c} -> {T[to]} over IPv{(v6 ? 6 : 4)}: {r}\n{Diagnostics()}");
    }

    private readonly record struct NeighbourEntry(string? Mac, string State);

    /// <summary>The container's neighbour entry for <paramref name="address"/>, or null when there is none.</summary>
    private static NeighbourEntry? Neighbour(VxlanTopology.Container c, string address)
    {
        var json = c.Ns.ExecChecked("ip", "-j", "neigh", "show", "to", address, "dev", c.Inside).StdOut;
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json);
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            var state = e.TryGetProperty("state", out var s) && s.GetArrayLength() > 0 ? s[0].GetString() ?? "" : "";
            var mac = e.TryGetProperty("lladdr", out var m) ? m.GetString() : null;
            return new NeighbourEntry(mac, state);
        }
        return null;
    }

    private readonly record struct KernelFdbEntry(string Mac, string? Dst, string Flags);

    /// <summary>The FDB of a kernel VTEP's VXLAN device for <paramref name="vni"/> (<c>bridge fdb show dev vxN</c>).</summary>
    private List<KernelFdbEntry> KernelFdb(char host, int vni)
    {
        var json = T.Host(host).ExecChecked("bridge", "-j", "fdb", "show", "dev", VxlanTopology.KernelVxlanDevice(vni)).StdOut;
        using var doc = JsonDocument.Parse(json);
        var entries = new List<KernelFdbEntry>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            var flags = e.TryGetProperty("flags", out var f) ? string.Join(',', f.EnumerateArray().Select(x => x.GetString())) : "";
            entries.Add(new KernelFdbEntry(e.GetProperty("mac").GetString()!, e.TryGetProperty("dst", out var d) ? d.GetString() : null, flags));
        }
        return entries;
    }

    private readonly record struct XdpNetFdbEntry(int Vni, string Mac, string? Vtep, string? Interface);

    /// <summary>The learned entries xdpnet reports in <c>stats --json</c> under <c>vxlan.fdb</c>.</summary>
    private List<XdpNetFdbEntry> XdpNetFdb(char host)
    {
        using var doc = T.Stats(host);
        var entries = new List<XdpNetFdbEntry>();
        foreach (var e in doc.RootElement.GetProperty("vxlan").GetProperty("fdb").EnumerateArray())
        {
            entries.Add(new XdpNetFdbEntry(
                e.GetProperty("vni").GetInt32(),
                e.GetProperty("mac").GetString()!.ToLowerInvariant(),
                e.TryGetProperty("vtep", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null,
                e.TryGetProperty("interface", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null));
        }
        return entries;
    }

    private long VxlanCounter(char host, string name)
    {
        using var doc = T.Stats(host);
        return doc.RootElement.GetProperty("stages").GetProperty("vxlan").GetProperty(name).GetInt64();
    }

    /// <summary>The flooded counter of each xdpnet host now.</summary>
    private List<(char Host, long Flooded)> FloodedByXdpNet()
    {
        var result = new List<(char, long)>();
        foreach (var host in new[] { 'a', 'b' })
        {
            if (T.Kind(host) == VtepKind.XdpNet) result.Add((host, VxlanCounter(host, "flooded")));
        }
        return result;
    }

    /// <summary>Every drop under a <c>vxlan-*</c> reason on any of the host's interfaces, as "interface reason=count".</summary>
    private List<string> VxlanDrops(char host)
    {
        using var doc = T.Stats(host);
        var drops = new List<string>();
        foreach (var i in doc.RootElement.GetProperty("interfaces").EnumerateArray())
        {
            foreach (var d in i.GetProperty("drops").EnumerateObject())
            {
                if (d.Name.StartsWith("vxlan-", StringComparison.Ordinal)) drops.Add($"{i.GetProperty("name").GetString()} {d.Name}={d.Value.GetInt64()}");
            }
        }
        return drops;
    }

    /// <summary>What a failure message needs: both xdpnet outputs and, per xdpnet host, its drops and VXLAN counters.</summary>
    private string Diagnostics()
    {
        var text = new System.Text.StringBuilder(T.Outputs);
        foreach (var host in new[] { 'a', 'b' })
        {
            if (T.Kind(host) != VtepKind.XdpNet) continue;
            try
            {
                using var doc = T.Stats(host);
                text.Append(CultureInfo.InvariantCulture, $"\n--- host {host} drops ---");
                foreach (var i in doc.RootElement.GetProperty("interfaces").EnumerateArray())
                    text.Append(CultureInfo.InvariantCulture, $"\n{i.GetProperty("name").GetString()}: {i.GetProperty("drops")}");
                if (doc.RootElement.GetProperty("stages").TryGetProperty("vxlan", out var vxlan))
                    text.Append(CultureInfo.InvariantCulture, $"\nvxlan: {vxlan}");
            }
            catch (Exception e) when (e is InvalidOperationException or JsonException or TimeoutException)
            {
                text.Append(CultureInfo.InvariantCulture, $"\nhost {host}: no stats ({e.Message})");
            }
        }
        return text.ToString();
    }

    private string StatsText(char host)
    {
        using var doc = T.Stats(host);
        return doc.RootElement.ToString();
    }

    private static bool SameAddress(string? a, string b) =>
        a is not null && IPAddress.TryParse(a, out var x) && x.Equals(IPAddress.Parse(b));

    /// <summary>iperf3 TCP for 1 s (the whole suite stays within about 3 minutes) from <paramref name="from"/> to <paramref name="to"/>; the bytes the server received.</summary>
    private double Iperf3(VxlanTopology.Container from, VxlanTopology.Container to, bool v6)
    {
        var server = StartBackground(to.Ns, "iperf3", "-s", "-1", "-B", to.Address(v6));
        try
        {
            Thread.Sleep(300);
            CommandResult client;
            try
            {
                // A connection that cannot open fails in 3 s; one that stalls is cut by the command's timeout.
                client = from.Ns.Exec(TimeSpan.FromSeconds(15), "iperf3", "-c", to.Address(v6), "-t", "1", "-J", "--connect-timeout", "3000");
            }
            catch (TimeoutException e)
            {
                throw new Xunit.Sdk.XunitException($"iperf3 {from} -> {to} stalled: {e.Message}\n{Diagnostics()}");
            }
            Assert.True(client.Succeeded, $"iperf3 {from} -> {to}: {client}\n{Diagnostics()}");
            using var doc = JsonDocument.Parse(client.StdOut);
            Assert.False(doc.RootElement.TryGetProperty("error", out var error), $"iperf3 {from} -> {to}: {error}\n{Diagnostics()}");
            return doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetDouble();
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit();
            server.Dispose();
        }
    }

    private static Process StartBackground(NetNs ns, string file, params string[] args)
    {
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", ns.Name, file }.Concat(args)) info.ArgumentList.Add(a);
        var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>
    /// tcpdump on the underlay bridge while <paramref name="traffic"/> runs: up to <paramref name="count"/> packets
    /// matching <paramref name="filter"/>, 5 s at most.
    /// </summary>
    private List<string> CaptureUnderlay(int count, string filter, Action traffic)
    {
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", T.Underlay.Name, "timeout", "5", "tcpdump", "-n", "-l", "-i", T.Bridge, "-c", count.ToString(CultureInfo.InvariantCulture), filter })
            info.ArgumentList.Add(a);
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
        lock (lines) return [.. lines];
    }
}

/// <summary>Baseline: the kernel's VXLAN on both hosts over an IPv4 underlay (proves the topology and the assertions).</summary>
[Collection("netns")]
public sealed class VxlanKernelKernelIpv4Tests(KernelKernelIpv4Fixture f) : VxlanInteropTests<KernelKernelIpv4Fixture>(f);

/// <summary>Baseline: the kernel's VXLAN on both hosts over an IPv6 underlay.</summary>
[Collection("netns")]
public sealed class VxlanKernelKernelIpv6Tests(KernelKernelIpv6Fixture f) : VxlanInteropTests<KernelKernelIpv6Fixture>(f);

/// <summary>xdpnet on host A, the kernel's VXLAN device on host B, IPv4 underlay.</summary>
[Collection("netns")]
public sealed class VxlanXdpNetKernelIpv4Tests(XdpNetKernelIpv4Fixture f) : VxlanInteropTests<XdpNetKernelIpv4Fixture>(f);

/// <summary>xdpnet on host A, the kernel's VXLAN device on host B, IPv6 underlay.</summary>
[Collection("netns")]
public sealed class VxlanXdpNetKernelIpv6Tests(XdpNetKernelIpv6Fixture f) : VxlanInteropTests<XdpNetKernelIpv6Fixture>(f);

/// <summary>xdpnet on both hosts, IPv4 underlay.</summary>
[Collection("netns")]
public sealed class VxlanXdpNetXdpNetIpv4Tests(XdpNetXdpNetIpv4Fixture f) : VxlanInteropTests<XdpNetXdpNetIpv4Fixture>(f);

/// <summary>xdpnet on both hosts, IPv6 underlay.</summary>
[Collection("netns")]
public sealed class VxlanXdpNetXdpNetIpv6Tests(XdpNetXdpNetIpv6Fixture f) : VxlanInteropTests<XdpNetXdpNetIpv6Fixture>(f);
