using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using XdpNet.LoadGen;
using XdpNet.LoadGen.Gen;
using XdpNet.LoadGen.Host;
using XdpNet.LoadGen.Sink;

// xdpnet-loadgen: the project's packet generator (gen) and counting sink (sink) for veth benchmarks.
// Both need root (BPF programs). Run them inside the network namespace that owns the interface.

var iface = new Option<string>("--interface", "-i") { Description = "Interface to send on (gen) or count on (sink)", Required = true };
var duration = new Option<double>("--duration", "-d") { Description = "Run time in seconds (0 < d <= 3600)", DefaultValueFactory = _ => 10 };
duration.Validators.Add(r =>
{
    double d = r.GetValueOrDefault<double>();
    if (!(d > 0 && d <= 3600))
        r.AddError("--duration must be in (0, 3600] seconds");
});
var cpu = new Option<int?>("--cpu") { Description = "Pin the working thread to this CPU" };
var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout instead of text" };

var srcMac = new Option<string?>("--src-mac") { Description = "Source MAC (default: the interface's own)" };
var dstMac = new Option<string?>("--dst-mac") { Description = "Destination MAC (default: the veth peer's, if in this namespace, or the only neighbour entry)" };
var src = new Option<string>("--src") { Description = "Source IPv4/IPv6 address (198.18.0.0/15 or 2001:db8::/32)", DefaultValueFactory = _ => "198.18.1.1" };
var dst = new Option<string>("--dst") { Description = "Destination IPv4/IPv6 address (198.18.0.0/15 or 2001:db8::/32)", DefaultValueFactory = _ => "198.18.2.2" };
var udpPort = new Option<int>("--udp-port") { Description = "UDP destination port", DefaultValueFactory = _ => 9 };
udpPort.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 1 or > 65535)
        r.AddError("--udp-port must be in 1..65535");
});
var size = new Option<int>("--size", "-s") { Description = "Frame length in bytes without FCS (64..1518)", DefaultValueFactory = _ => 64 };
size.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < UdpFrameBuilder.MinFrame or > UdpFrameBuilder.MaxFrame)
        r.AddError($"--size must be in {UdpFrameBuilder.MinFrame}..{UdpFrameBuilder.MaxFrame}");
});
var flows = new Option<int>("--flows") { Description = "Distinct flows: UDP source ports 49152..49152+N-1, in turn", DefaultValueFactory = _ => 1 };
flows.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 1 or > 16384)
        r.AddError("--flows must be in 1..16384");
});
var batch = new Option<int>("--batch") { Description = "Frames per live-frames batch (BPF_PROG_RUN batch_size, 1..256)", DefaultValueFactory = _ => 64 };
batch.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 1 or > 256)
        r.AddError("--batch must be in 1..256");
});

var pass = new Option<bool>("--pass") { Description = "Count, then pass frames to the kernel (default: drop)" };
var mode = new Option<string>("--mode") { Description = "XDP attach mode: native or skb", DefaultValueFactory = _ => "native" };
mode.AcceptOnlyFromAmong("native", "skb");

var gen = new Command("gen", "Send UDP frames out of an interface for --duration seconds (BPF_PROG_RUN, live frames, XDP_TX)")
{
    iface, srcMac, dstMac, src, dst, udpPort, size, duration, cpu, flows, batch, json,
};
gen.SetAction(p => Run(() =>
{
    IPAddress s = ParseAddress(p.GetValue(src)!, "--src");
    IPAddress d = ParseAddress(p.GetValue(dst)!, "--dst");
    if (s.AddressFamily != d.AddressFamily)
        throw new LoadGenException("--src and --dst must both be IPv4 or both IPv6");
    var options = new GenOptions(p.GetValue(iface)!,
        p.GetValue(srcMac) is string sm ? NetDevice.ParseMac(sm, "--src-mac") : null,
        p.GetValue(dstMac) is string dm ? NetDevice.ParseMac(dm, "--dst-mac") : null,
        s, d, (ushort)p.GetValue(udpPort), p.GetValue(size), p.GetValue(duration), p.GetValue(cpu), p.GetValue(flows),
        p.GetValue(batch));
    using var stop = new StopSignal();
    GenResult result = LiveFrameGenerator.Run(options, stop);
    Console.WriteLine(p.GetValue(json) ? Report.Json(result) : Report.Text(result));
}));

var sink = new Command("sink", "Count (and drop, or --pass) frames at XDP on an interface; print per-second and steady-state rates. "
    + "The line 'ready ...' goes to stderr once counting")
{
    iface, duration, pass, mode, cpu, json,
};
sink.SetAction(p => Run(() =>
{
    bool asJson = p.GetValue(json);
    var options = new SinkOptions(p.GetValue(iface)!, p.GetValue(duration), p.GetValue(pass), p.GetValue(mode) == "skb", p.GetValue(cpu));
    using var stop = new StopSignal();
    int n = 0;
    SinkResult result = XdpCounterSink.Run(options, stop,
        ready: line => Console.Error.WriteLine(line),
        onSample: asJson ? null : s => Console.WriteLine(Report.Text(s, ++n)));
    Console.WriteLine(asJson ? Report.Json(result) : Report.Text(result));
}));

var root = new RootCommand("xdpnet-loadgen: UDP load generator and XDP packet sink for XdpNet benchmarks (root)") { gen, sink };
return root.Parse(args).Invoke();

static int Run(Action body)
{
    try
    {
        body();
        return 0;
    }
    catch (LoadGenException e)
    {
        Console.Error.WriteLine($"xdpnet-loadgen: {e.Message}");
        return 2;
    }
}

static IPAddress ParseAddress(string text, string option)
{
    if (!IPAddress.TryParse(text, out IPAddress? address))
        throw new LoadGenException($"{option}: '{text}' is not an IPv4 or IPv6 address");
    // Benchmark traffic stays in the ranges reserved for it: 198.18.0.0/15 (RFC 2544) and 2001:db8::/32 (RFC 3849).
    Span<byte> b = stackalloc byte[16];
    address.TryWriteBytes(b, out _);
    bool allowed = address.AddressFamily == AddressFamily.InterNetwork
        ? b[0] == 198 && (b[1] & 0xFE) == 18
        : b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8;
    return allowed ? address : throw new LoadGenException($"{option}: {text} is outside 198.18.0.0/15 and 2001:db8::/32");
}
