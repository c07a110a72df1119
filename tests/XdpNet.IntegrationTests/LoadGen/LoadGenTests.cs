using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.LoadGen;

/// <summary>
/// The project's load generator and sink on a real veth, each in its own namespace:
/// | gen ns: g0 (IPv6 off) | == veth == | sink ns: d0 [xdp-sink] |.
/// Both ends count at XDP: the generator counts the frames its program returned XDP_TX for, the sink the
/// frames its program saw on d0. g0's XDP_TX frames are flushed into d0's 256-slot ring after every batch
/// of 64 and d0's NAPI drains it in the same softirq on the sending CPU, so no frame is in flight or lost
/// once the generator has exited: the counts must be equal, and the generator's tx_dropped must be 0.
/// IPv6 is off in the gen namespace so g0 sends nothing of its own (router/neighbour solicitations).
/// </summary>
public sealed class LoadGenTests : IDisposable
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(30);
    private readonly NetNs _gen;
    private readonly NetNs _sink;

    public LoadGenTests()
    {
        _gen = NetNs.Create("lg-gen");
        _sink = NetNs.Create("lg-sink");
        try
        {
            // Devices created in a namespace take its defaults: g0 starts with IPv6 disabled.
            _gen.ExecChecked("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
            _gen.AddVeth("g0", _sink, "d0");
            _sink.AddAddress("d0", "198.18.2.2/24");
            _sink.AddAddress("d0", "2001:db8:2::2/64");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _gen.Dispose();
        _sink.Dispose();
    }

    [RootFact]
    public void Sink_counts_exactly_the_frames_the_generator_sent_and_the_duration_bounds_the_run()
    {
        using var sink = SinkProcess.Start(_sink, "d0", seconds: 8);

        var clock = Stopwatch.StartNew();
        CommandResult gen = _gen.Exec(ProcessTimeout, "dotnet", LoadGenDll, "gen", "--interface", "g0",
            "--duration", "2", "--cpu", "0", "--flows", "4", "--dst-mac", "02:00:00:00:00:02", "--json").EnsureSuccess();
        clock.Stop();
        using JsonDocument sent = JsonDocument.Parse(gen.StdOut);

        // --duration 2: the generator stops sending by itself after about 2 s and exits. The upper bound is loose on
        // purpose: on a loaded machine the thread can be descheduled in its last batch (3.02 s seen at load 15); a
        // generator that ignored --duration would run to the 15 s process bound below.
        double seconds = sent.RootElement.GetProperty("seconds").GetDouble();
        Assert.InRange(seconds, 1.99, 6.0);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"gen took {clock.Elapsed} to exit");

        using JsonDocument counted = sink.WaitForResult();
        ulong packets = sent.RootElement.GetProperty("packets").GetUInt64();
        Assert.True(packets > 0, gen.StdOut);
        Assert.Equal(0UL, sent.RootElement.GetProperty("txDropped").GetUInt64());
        Assert.Equal(packets, counted.RootElement.GetProperty("totalPackets").GetUInt64());
        Assert.Equal(packets * 64, counted.RootElement.GetProperty("totalBytes").GetUInt64());
    }

    /// <summary>
    /// | g0 -> d0 | IPv4/IPv6 198.18.1.1 -> 198.18.2.2 | UDP 49152..49159 -> 9 |, passed to d0's stack: every frame
    /// reaches UDP (which has no socket on port 9, so NoPorts counts it) and none fails a checksum, which checks
    /// the generator's header and the incremental checksum update for the varying source port.
    /// </summary>
    [RootFact]
    public void Passed_ipv4_frames_arrive_at_udp_with_valid_checksums() => PassToUdp("198.18.1.1", "198.18.2.2", 128);

    [RootFact]
    public void Passed_ipv6_frames_arrive_at_udp_with_valid_checksums() => PassToUdp("2001:db8:1::1", "2001:db8:2::2", 1500);

    private void PassToUdp(string src, string dst, int size)
    {
        bool v6 = dst.Contains(':', StringComparison.Ordinal);
        string d0Mac = _sink.ExecChecked("cat", "/sys/class/net/d0/address").StdOut.Trim();
        (ulong noPorts, ulong csumErrors) before = UdpCounters(v6);

        using var sink = SinkProcess.Start(_sink, "d0", seconds: 6, "--pass");
        _gen.Exec(ProcessTimeout, "dotnet", LoadGenDll, "gen", "--interface", "g0", "--duration", "1", "--size",
            size.ToString(CultureInfo.InvariantCulture), "--flows", "8", "--src", src, "--dst", dst, "--dst-mac", d0Mac,
            "--json").EnsureSuccess();
        using JsonDocument counted = sink.WaitForResult();

        ulong packets = counted.RootElement.GetProperty("totalPackets").GetUInt64();
        (ulong noPorts, ulong csumErrors) after = UdpCounters(v6);
        Assert.True(packets > 0);
        Assert.Equal(0UL, after.csumErrors - before.csumErrors);
        Assert.Equal(packets, after.noPorts - before.noPorts);
    }

    private static string LoadGenDll => Path.Combine(AppContext.BaseDirectory, "xdpnet-loadgen.dll");

    /// <summary>UDP "no port" and checksum-error counters of the sink namespace (/proc/net/snmp, snmp6).</summary>
    private (ulong NoPorts, ulong CsumErrors) UdpCounters(bool v6)
    {
        if (v6)
        {
            var values = new Dictionary<string, ulong>();
            foreach (string line in _sink.ExecChecked("cat", "/proc/net/snmp6").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                values[f[0]] = ulong.Parse(f[1], CultureInfo.InvariantCulture);
            }
            return (values["Udp6NoPorts"], values["Udp6InCsumErrors"]);
        }

        // Two "Udp:" lines: names, then values.
        string[] udp = _sink.ExecChecked("cat", "/proc/net/snmp").StdOut.Split('\n')
            .Where(l => l.StartsWith("Udp: ", StringComparison.Ordinal)).ToArray();
        string[] names = udp[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] numbers = udp[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        ulong Get(string name) => ulong.Parse(numbers[Array.IndexOf(names, name)], CultureInfo.InvariantCulture);
        return (Get("NoPorts"), Get("InCsumErrors"));
    }

    /// <summary>A sink running in the background; Start returns once it printed its ready line (counting).</summary>
    private sealed class SinkProcess : IDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _stdout;
        private readonly Task<string> _stderr;

        private SinkProcess(Process process, Task<string> stdout, Task<string> stderr)
        {
            _process = process;
            _stdout = stdout;
            _stderr = stderr;
        }

        public static SinkProcess Start(NetNs ns, string device, int seconds, params string[] extra)
        {
            var info = new ProcessStartInfo("ip")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string a in (string[])["netns", "exec", ns.Name, "dotnet", LoadGenDll, "sink", "--interface", device,
                "--duration", seconds.ToString(CultureInfo.InvariantCulture), "--json", .. extra])
            {
                info.ArgumentList.Add(a);
            }
            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the sink");

            // The ready line is the first thing on stderr; the rest is collected for failure messages.
            var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var stderr = Task.Run(async () =>
            {
                var all = new System.Text.StringBuilder();
                while (await process.StandardError.ReadLineAsync() is string line)
                {
                    all.AppendLine(line);
                    if (line.StartsWith("ready", StringComparison.Ordinal))
                        ready.TrySetResult(line);
                }
                ready.TrySetResult("");
                return all.ToString();
            });
            var sink = new SinkProcess(process, process.StandardOutput.ReadToEndAsync(), stderr);
            if (!ready.Task.Wait(ProcessTimeout) || ready.Task.Result.Length == 0)
            {
                sink.Dispose();
                throw new InvalidOperationException($"sink did not get ready: {(stderr.IsCompleted ? stderr.Result : "(still running)")}");
            }
            return sink;
        }

        public JsonDocument WaitForResult()
        {
            if (!_process.WaitForExit(ProcessTimeout))
                throw new TimeoutException("sink did not exit after its --duration");
            _process.WaitForExit();
            Assert.True(_process.ExitCode == 0, $"sink exited {_process.ExitCode}: {_stderr.Result}");
            return JsonDocument.Parse(_stdout.Result);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            _process.Dispose();
        }
    }
}
