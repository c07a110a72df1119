using Xdp.Filter.Conntrack;
using static Xdp.Filter.Tests.Conntrack.ConntrackPackets;

namespace Xdp.Filter.Tests.Conntrack;

/// <summary>The hot path (parse, track, create, evict, sweep) allocates nothing.</summary>
public class AllocationTests
{
    [Fact]
    public void ParseTrackAndCreateAllocateNothing()
    {
        const int flows = 2048;
        var table = new ConntrackTable(new ConntrackSettings(Capacity: 1024)); // smaller than the flow count: eviction runs too
        var syns = new byte[flows][];
        var synAcks = new byte[flows][];
        var udp6 = new byte[flows][];
        for (var i = 0; i < flows; i++)
        {
            var client = $"198.18.{i >> 8}.{i & 0xFF}";
            syns[i] = Tcp(client, (ushort)(10000 + i), "198.19.0.2", 80, Syn);
            synAcks[i] = Tcp("198.19.0.2", 80, client, (ushort)(10000 + i), SynAck);
            udp6[i] = Udp($"2001:db8:1::{i:x}", 5000, "2001:db8:2::2", 53);
        }
        var error = Error("198.18.255.254", "198.18.0.1", Xdp.Runtime.Wire.Icmpv4Header.TypeDestinationUnreachable, 4, syns[1]);

        Run(table, syns, synAcks, udp6, error, 0); // JIT and tier-up outside the measurement
        Run(table, syns, synAcks, udp6, error, 1_000_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var hits = Run(table, syns, synAcks, udp6, error, 2_000_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(hits > 0);
        Assert.True(table.Counters.Created > flows);
    }

    private static int Run(ConntrackTable table, byte[][] syns, byte[][] synAcks, byte[][] udp6, byte[] error, long now)
    {
        var hits = 0;
        for (var i = 0; i < syns.Length; i++)
        {
            ConntrackPacket.TryParseIpv4(syns[i], out var syn);
            if (table.Track(syn, now, out _) == ConntrackVerdict.New) table.Create(syn, now);
            ConntrackPacket.TryParseIpv4(synAcks[i], out var synAck);
            if (table.Track(synAck, now, out _) == ConntrackVerdict.Established) hits++;
            ConntrackPacket.TryParseIpv6(udp6[i], out var datagram);
            if (table.Track(datagram, now, out _) == ConntrackVerdict.New) table.Create(datagram, now);
        }
        ConntrackPacket.TryParseIpv4(error, out var related);
        table.Track(related, now, out _);
        table.Sweep(now + ConntrackSettings.Default.UdpMilliseconds, 512);
        return hits;
    }
}
