using Xdp.Runtime.Xsk;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Xsk;

/// <summary>AF_XDP sockets on real veths: bind modes, shared UMEM, and the quick-rebind EBUSY window.</summary>
public sealed class XskSocketTests
{
    private static readonly XskSocketOptions Small = new() { RxSize = 512, TxSize = 512, FillSize = 512, CompletionSize = 512 };

    [RootFact]
    public void AutoBindFallsBackToCopyOnVethAndForcedZeroCopyIsRefusedByName()
    {
        using var topo = VethTopology.Create("xskbind");
        topo.Left.Invoke(() =>
        {
            using (var umem = new Umem(1024, 4096, 0))
            {
                var e = Assert.Throws<XskException>(() => XskSocket.Create(umem, topo.LeftInterface, 0, Small with { BindMode = XskBindMode.ZeroCopy }));
                Assert.Contains(topo.LeftInterface, e.Message, StringComparison.Ordinal);
                Assert.Contains("zero-copy", e.Message, StringComparison.Ordinal);
            }
            using (var umem = new Umem(1024, 4096, 0))
            {
                using var socket = XskSocket.Create(umem, topo.LeftInterface, 0, Small);
                Assert.False(socket.ZeroCopy); // veth has no zero-copy: auto fell back to copy
                Assert.Same(socket, umem.Owner);
                Assert.Equal(0ul, socket.ReadStatistics().RxInvalidDescs);
            }
        });
    }

    [RootFact]
    public void ARebindRightAfterCloseIsRetriedUntilTheQueueIsFree()
    {
        using var topo = VethTopology.Create("xskrebind");
        topo.Left.Invoke(() =>
        {
            for (var i = 0; i < 3; i++)
            {
                // Each close leaves the queue busy for a moment; Create retries EBUSY with backoff instead of failing.
                using var umem = new Umem(1024, 4096, 0);
                using var socket = XskSocket.Create(umem, topo.LeftInterface, 0, Small);
                Assert.True(socket.Fd > 0);
            }
        });
    }

    [RootFact]
    public void SocketsOnTwoInterfacesShareOneUmem()
    {
        using var topo = VethTopology.Create("xskshare");
        var second = "xs" + UniqueName.Suffix(8);
        var peer = "xp" + UniqueName.Suffix(8);
        topo.Left.ExecChecked("ip", "link", "add", second, "type", "veth", "peer", "name", peer);
        topo.Left.ExecChecked("ip", "link", "set", second, "up");
        topo.Left.ExecChecked("ip", "link", "set", peer, "up");
        topo.Left.Invoke(() =>
        {
            using var umem = new Umem(2048, 4096, 256);
            using var first = XskSocket.Create(umem, topo.LeftInterface, 0, Small);
            using var other = XskSocket.Create(umem, second, 0, Small);
            Assert.False(first.SharesUmem);
            Assert.True(other.SharesUmem);
            Assert.Same(first, umem.Owner);
            // Each has its own fill ring: both accept frames from the one pool.
            Assert.Equal(512u, other.Fill.Reserve(512, out _));
            Assert.Equal(512u, first.Fill.Reserve(512, out _));
        });
    }
}
