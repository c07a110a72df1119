using System.Net;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Tests.Host;
using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;
using XdpNet.Configuration;
using XdpNet.Pipeline;

namespace Xdp.Runtime.Tests.Policy;

/// <summary>
/// examples/policy-host.json loads and validates (its policy files are named relative to it), and the pipeline built
/// from it enforces what its policies say.
/// </summary>
public class PolicyExampleTests
{
    [Fact]
    public unsafe void ThePolicyHostExampleValidatesAndEnforcesItsPolicies()
    {
        var result = HostConfigLoader.LoadAndValidate(RepoPaths.Example("policy-host.json"), environment: new Dictionary<string, string?>(),
            limits: new ValidationLimits(ProcessorCount: 2, PageSize: 4096));
        Assert.Empty(result.Errors);
        var config = result.Config!;
        Assert.Equal(3, config.Endpoints.Count);
        Assert.All(config.Policy.Files, f => Assert.True(File.Exists(f), f));

        var pipeline = HostPipelineBuilder.Build(config, PolicyRig.Interfaces(config), hostAddresses: [],
            interfaceAddresses: new Dictionary<string, IReadOnlyList<IPAddress>>());
        var frame = GC.AllocateArray<byte>(PolicyRig.FrameSize, pinned: true);
        (Verdict, DropReason) Run(int ingress, string src, string dst, ushort port)
        {
            var bytes = PacketBuilder.Ethernet(config.Interfaces[ingress].Mac!, "02:00:00:00:c0:0" + (ingress + 1)).Ipv4(src, dst)
                .Tcp(40000, port, TcpHeader.Flag.Syn, 1000).Build();
            Array.Clear(frame);
            bytes.CopyTo(frame, PolicyRig.Headroom);
            fixed (byte* start = frame)
            {
                var packet = new PacketContext(start + PolicyRig.Headroom, bytes.Length, PolicyRig.Headroom,
                    PolicyRig.FrameSize - PolicyRig.Headroom - bytes.Length, ingress);
                var verdict = pipeline.Process(ref packet);
                return (verdict, packet.Reason);
            }
        }

        Assert.Equal(Verdict.Tx, Run(1, "198.18.2.2", "198.18.1.2", 80).Item1);
        Assert.Equal((Verdict.Drop, DropReason.PolicyDefaultDenied), Run(2, "198.18.3.2", "198.18.1.2", 80));
        Assert.Equal((Verdict.Drop, DropReason.PolicyDefaultDenied), Run(1, "198.18.2.2", "198.18.1.2", 81));
        Assert.Equal((Verdict.Drop, DropReason.PolicyDefaultDenied), Run(1, "198.18.2.2", "198.18.3.2", 80));
    }
}
