using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using XdpNet.Cni.Configuration;
using XdpNet.Cni.Ipam;
using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Tests;

public sealed class AddressStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xdpnet-cni-ipam-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AddressPool V4(string first, string last, string? excluded = null) => new(AddressFamily.InterNetwork,
        AddressMath.ToValue(IPAddress.Parse(first)), AddressMath.ToValue(IPAddress.Parse(last)), 24,
        excluded is null ? null : AddressMath.ToValue(IPAddress.Parse(excluded)), false);

    private AddressStore Store(AddressPool pool) => new(_dir, "net", pool, TimeSpan.FromSeconds(30));

    [Fact]
    public void AllocatesInOrderSkippingTheGatewayAndNeverTwice()
    {
        var store = Store(V4("198.18.20.1", "198.18.20.4", excluded: "198.18.20.2"));
        Assert.Equal(IPAddress.Parse("198.18.20.1"), store.Allocate("c1", "eth0"));
        Assert.Equal(IPAddress.Parse("198.18.20.3"), store.Allocate("c2", "eth0"));
        Assert.Equal(IPAddress.Parse("198.18.20.4"), store.Allocate("c3", "eth0"));
        var e = Assert.Throws<CniException>(() => store.Allocate("c4", "eth0"));
        Assert.Equal(CniErrorCode.AddressesExhausted, e.Code);
    }

    [Fact]
    public void TheSameAttachmentGetsItsAddressAgain()
    {
        var store = Store(V4("198.18.20.1", "198.18.20.9"));
        var a = store.Allocate("c1", "eth0");
        Assert.Equal(a, store.Allocate("c1", "eth0"));
        Assert.NotEqual(a, store.Allocate("c1", "eth1")); // another interface of the same container is another attachment
    }

    [Fact]
    public void AllocationsSurviveANewStoreAndReleaseFreesThem()
    {
        var a = Store(V4("198.18.20.1", "198.18.20.2")).Allocate("c1", "eth0");
        var restarted = Store(V4("198.18.20.1", "198.18.20.2"));
        Assert.Equal([a], restarted.Find("c1", "eth0"));
        var b = restarted.Allocate("c2", "eth0");
        Assert.NotEqual(a, b);
        Assert.Throws<CniException>(() => restarted.Allocate("c3", "eth0"));
        Assert.Equal([a], restarted.Release("c1", "eth0"));
        Assert.Empty(restarted.Release("c1", "eth0")); // a second DEL finds nothing and is fine
        Assert.Equal(a, Store(V4("198.18.20.1", "198.18.20.2")).Allocate("c3", "eth0"));
    }

    [Fact]
    public void AReleasedAddressIsReusedOnlyAfterTheRangeWentRound()
    {
        var store = Store(V4("198.18.20.1", "198.18.20.3"));
        var first = store.Allocate("c1", "eth0");
        store.Release("c1", "eth0");
        Assert.Equal(IPAddress.Parse("198.18.20.2"), store.Allocate("c2", "eth0"));
        Assert.Equal(IPAddress.Parse("198.18.20.3"), store.Allocate("c3", "eth0"));
        Assert.Equal(first, store.Allocate("c4", "eth0"));
    }

    [Fact]
    public void IlaIdentifiersSkipTheLow16BitsAllZeroOrAllOnes()
    {
        var config = NetworkConfigParser.Parse(Encoding.UTF8.GetBytes(NetworkConfigTests.With(NetworkConfigTests.Ila,
            ("identifierRange", "\"1:0:0:fffe-1:0:1:1\""), ("dataDir", $"\"{_dir}\""))));
        var store = Store(config.Pool);
        Assert.Equal(IPAddress.Parse("2001:db8:5151::1:0:0:fffe"), store.Allocate("c1", "eth0"));
        Assert.Equal(IPAddress.Parse("2001:db8:5151::1:0:1:1"), store.Allocate("c2", "eth0"));
        Assert.Equal(CniErrorCode.AddressesExhausted, Assert.Throws<CniException>(() => store.Allocate("c3", "eth0")).Code);
    }

    /// <summary>50 allocations at once, each with its own lock file descriptor as 50 plugin processes would have.</summary>
    [Fact]
    public void ConcurrentAllocationsNeverShareAnAddress()
    {
        var pool = V4("198.18.20.1", "198.18.20.254");
        var results = new ConcurrentBag<IPAddress>();
        var start = new Barrier(50);
        var threads = Enumerable.Range(0, 50).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            results.Add(Store(pool).Allocate("c" + i, "eth0"));
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(50, results.Count);
        Assert.Equal(50, results.Distinct().Count());
        Assert.Equal(50, Store(pool).ReadRecords().Count());
    }

    [Fact]
    public void AHeldLockTurnsIntoTryAgainLater()
    {
        var store = new AddressStore(_dir, "net", V4("198.18.20.1", "198.18.20.9"), TimeSpan.FromMilliseconds(200));
        store.Allocate("c1", "eth0"); // creates the directory and the lock file
        using (FileLock.Acquire(Path.Combine(_dir, "net", "lock"), TimeSpan.FromSeconds(1)))
        {
            var e = Assert.Throws<CniException>(() => store.Allocate("c2", "eth0"));
            Assert.Equal(CniErrorCode.TryAgainLater, e.Code);
        }
        Assert.Equal(IPAddress.Parse("198.18.20.2"), store.Allocate("c2", "eth0"));
    }
}
