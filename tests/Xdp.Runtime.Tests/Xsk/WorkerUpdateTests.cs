using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Worker;
using Xdp.Runtime.Xsk;

namespace Xdp.Runtime.Tests.Xsk;

public class WorkerUpdateTests
{
    private struct Recorder : IPacketStage
    {
        public string Log;

        public readonly Verdict Process(ref PacketContext packet) => Verdict.Drop;
    }

    [Fact]
    public void UpdatesAreAppliedByTheWorkerBetweenBatchesInTheOrderPublished()
    {
        using var umem = new Umem(64, 4096, 0);
        var worker = new DataPlaneWorker<Recorder>(umem, [], 0, new Recorder { Log = "" });
        worker.Publish((ref Recorder r) => r.Log += "a");
        worker.Publish((ref Recorder r) => r.Log += "b"); // before the worker ran: composed, not lost
        Assert.Equal("", worker.Pipeline.Log);
        Assert.False(worker.UpdatesApplied);

        worker.RunOnce();
        Assert.Equal("ab", worker.Pipeline.Log);
        Assert.True(worker.UpdatesApplied);
        Assert.Equal(1, worker.Updates);

        worker.RunOnce(); // nothing pending: nothing applied again
        Assert.Equal("ab", worker.Pipeline.Log);
        Assert.Equal(1, worker.Updates);
    }

    [Fact]
    public void EachUpdateIsNumberedAndWaitAppliedSeesItRun()
    {
        using var umem = new Umem(64, 4096, 0);
        var worker = new DataPlaneWorker<Recorder>(umem, [], 0, new Recorder { Log = "" });
        var first = worker.Publish((ref Recorder r) => r.Log += "a");
        var second = worker.PublishPorts([], 3, (ref Recorder r) => r.Log += "b");
        Assert.Equal(first + 1, second);
        Assert.False(worker.WaitApplied(first, TimeSpan.Zero));
        worker.RunOnce();
        Assert.True(worker.WaitApplied(second, TimeSpan.Zero));
        Assert.Equal("ab", worker.Pipeline.Log);
        Assert.Empty(worker.Ports);
    }

    [Fact]
    public void FramesReturnedFromARemovedSocketGoBackToThePoolOnTheWorker()
    {
        using var umem = new Umem(64, 4096, 0);
        var worker = new DataPlaneWorker<Recorder>(umem, [], 0, new Recorder { Log = "" });
        var taken = new ulong[3];
        for (var i = 0; i < taken.Length; i++) Assert.True(umem.Pool.TryAllocate(out taken[i]));
        Assert.Equal(61, worker.FreeFrames);
        var sequence = worker.ReturnFrames(taken);
        Assert.Equal(61, worker.FreeFrames); // only the worker touches the pool
        worker.RunOnce();
        Assert.True(worker.WaitApplied(sequence, TimeSpan.Zero));
        Assert.Equal(64, worker.FreeFrames);
    }

    [Fact]
    public void APortNamingAnInterfaceBeyondTheCountIsRefusedBeforeTheWorkerSeesIt()
    {
        using var umem = new Umem(64, 4096, 0);
        var worker = new DataPlaneWorker<Recorder>(umem, [], 0, new Recorder { Log = "" });
        Assert.Throws<ArgumentException>(() => worker.PublishPorts([new XskPort(null!, 2, new Xdp.Runtime.Counters.InterfaceCounters("x"))], 2, null));
        Assert.True(worker.UpdatesApplied);
    }
}
