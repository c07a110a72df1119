using Xdp.Runtime.Bpf;
using static Xdp.Runtime.Interop.Interop;

namespace Xdp.Runtime.Tests.Steering;

/// <summary>
/// The real bpf/xdp-redirect.bpf.o (BPF_PROG_RUN, not attached anywhere) and <see cref="SteeringDecider"/>
/// must decide every frame alike, including truncated and corrupted ones: the fast C# mirror checked
/// against the kernel's verdict, as offline replay relies on it.
/// </summary>
public sealed unsafe class SteeringProgramParityTests
{
    private static readonly byte[] Interesting =
        [0x00, 0x01, 0x06, 0x08, 0x11, 0x12, 0x20, 0x3A, 0x45, 0x46, 0x4F, 0x60, 0x81, 0x86, 0x88, 0xA8, 0xB5, 0xC6, 0xDD, 0xFF];

    [PrivilegedFact]
    public void Bpf_program_and_decider_agree_on_mutated_frames()
    {
        var rules = new SteeringRules
        {
            // ARP through the request-only rule (mutations flip the operation), ethertypes through LLDP and a third VLAN tag.
            OwnArpRequests = true,
            EtherTypes = [0x88CC, 0x8100],
            Prefixes =
            [
                SteeringPrefix.Own("198.18.0.0/15"),
                SteeringPrefix.Pass("198.18.0.1/32"),
                SteeringPrefix.Own("198.18.0.0/28"),
                SteeringPrefix.Own("2001:db8::/32"),
                SteeringPrefix.Pass("2001:db8::1/128"),
            ],
            UdpPorts = [4789, 0x0811],
        };
        byte[][] seeds =
        [
            Frame.Ipv4("198.18.0.1", udpPort: 4789),
            Frame.Ipv4("198.18.0.5", udpPort: 9, ihl: 6),
            Frame.Ipv4("198.18.0.1", vlanTags: [0x8100]),
            Frame.Ipv6("2001:db8::1", udpPort: 4789, vlanTags: [0x88A8, 0x8100]),
            Frame.Ipv6("2001:db8:0:1::5"),
            Frame.Arp(),
            Frame.Raw(0x88CC),
        ];

        var decider = rules.Compile();
        using var program = XdpSteeringProgram.LoadUnattached(rules, XdpSteeringProgram.DefaultObjectPath);
        var random = new Random(20240601);
        var seen = new int[3];
        for (int i = 0; i < 3000; i++)
        {
            byte[] frame = (byte[])seeds[i % seeds.Length].Clone();
            int mutations = random.Next(0, 4);
            for (int m = 0; m < mutations; m++)
            {
                frame[random.Next(12, Math.Min(frame.Length, 80))] = Interesting[random.Next(Interesting.Length)];
            }

            // BPF_PROG_RUN refuses frames shorter than an Ethernet header; shorter ones are covered by unit tests.
            int length = random.Next(4) == 0 ? random.Next(14, frame.Length + 1) : frame.Length;
            var expected = decider.Decide(frame.AsSpan(0, length));
            var actual = Run(program, frame.AsSpan(0, length));
            Assert.True(expected == actual, $"C# {expected}, BPF {actual} for {Convert.ToHexString(frame, 0, length)}");
            seen[(int)expected]++;
        }

        // The corpus reaches every verdict, so agreement means something.
        Assert.All(seen, count => Assert.True(count > 100, string.Join(',', seen)));
    }

    private static SteeringVerdict Run(XdpSteeringProgram program, ReadOnlySpan<byte> frame)
    {
        var before = program.ReadCounters();
        fixed (byte* data = frame)
        {
            var opts = new LibBpf.BpfTestRunOpts
            {
                Size = (nuint)sizeof(LibBpf.BpfTestRunOpts),
                DataIn = data,
                DataSizeIn = (uint)frame.Length,
                Repeat = 1,
            };
            int rc = LibBpf.ProgTestRunOpts(program.ProgramFd, &opts);
            Assert.True(rc == 0, $"BPF_PROG_RUN failed: {Libc.StrError(-rc)}");
            Assert.Equal(2u, opts.Retval); // XDP_PASS: no socket is registered, so owned frames fall back too
        }

        var after = program.ReadCounters();
        Assert.Equal(before.Total + 1, after.Total);
        Assert.Equal(before.Redirected, after.Redirected);
        return after.PassedNoSocket > before.PassedNoSocket ? SteeringVerdict.Own
            : after.PassedMalformed > before.PassedMalformed ? SteeringVerdict.Malformed
            : SteeringVerdict.NotOwned;
    }

    /// <summary>Loading BPF programs needs CAP_BPF: skipped otherwise.</summary>
    private sealed class PrivilegedFactAttribute : FactAttribute
    {
        public PrivilegedFactAttribute()
        {
            if (!Environment.IsPrivilegedProcess)
            {
                Skip = "needs root to load BPF programs";
            }
        }
    }
}
