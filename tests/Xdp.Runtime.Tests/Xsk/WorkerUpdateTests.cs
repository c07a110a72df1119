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
}
