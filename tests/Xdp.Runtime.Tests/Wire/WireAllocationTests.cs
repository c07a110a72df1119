using Xdp.Runtime.Tests.Support;
using Xdp.Runtime.Wire;

namespace Xdp.Runtime.Tests.Wire;

public class WireAllocationTests
{
    [Fact]
    public void ParsingAndChecksummingAllocateNothing()
    {
        var v6 = Hex.Bytes(GoldenFrames.Ipv6HopByHopDestinationUdp);
        var v4 = Hex.Bytes(GoldenFrames.Ipv4Tcp);
        var ns = Hex.Bytes(GoldenFrames.Ipv6NeighborSolicitation);
        var jumbo = new byte[9000];
        Run(v6, v4, ns, jumbo); // warm up (JIT, static initialisers)
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = 0;
        for (var i = 0; i < 1000; i++) result += Run(v6, v4, ns, jumbo);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(0, result);
    }

    private static int Run(byte[] v6, byte[] v4, byte[] ns, byte[] jumbo)
    {
        var result = 0;
        if (EthernetFrame.TryCreate(v6, out var eth) && Ipv6Header.TryCreate(eth.Payload, out var ip6)
            && ip6.TryFindTransport(out _, out var offset) && UdpHeader.TryCreate(ip6.PacketBytes.Slice(offset), out var udp))
        {
            result += udp.DestinationPort;
            udp.Checksum = Checksum.UpdateUdp64(udp.Checksum, 1, 1);
            result += Checksum.IsTransportValid(ip6) ? 1 : 0;
        }
        if (Ipv4Header.TryCreate(v4.AsSpan(14), out var ip4) && TcpHeader.TryCreate(ip4.Payload, out var tcp) && Checksum.TryComputeTransport(ip4, out var c))
        {
            result += tcp.HeaderLength + c;
        }
        if (Ipv6Header.TryCreate(ns.AsSpan(14), out var nsIp) && NeighborSolicitation.TryCreate(nsIp.Payload, out var solicitation))
        {
            result += (int)(solicitation.SourceLinkLayerAddress.Value & 0xFF);
        }
        return result + Checksum.Fold(Checksum.Sum(jumbo));
    }
}
