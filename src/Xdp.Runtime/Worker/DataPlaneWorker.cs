using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xdp.Runtime.Interop;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Xsk;
using Libc = Xdp.Runtime.Interop.Interop.Libc;

namespace Xdp.Runtime.Worker;

/// <summary>A change to the pipeline, applied by the worker itself between two batches.</summary>
public delegate void PipelineUpdate<TPipeline>(ref TPipeline pipeline);

/// <summary>
/// The run-to-completion loop: for every port, reclaim completed TX frames, refill the fill ring, take a batch
/// of received descriptors, run the pipeline on each frame in place, and hand transmitted frames to the egress
/// port's TX ring (same UMEM: the descriptor moves, the bytes do not). One thread, pinned; no locks, no allocation.
/// </summary>
public sealed unsafe class DataPlaneWorker<TPipeline> where TPipeline : struct, IPacketStage
{
    private readonly Umem _umem;
    private readonly FramePool _pool;
    // The port set: replaced together, only by the worker itself between two batches (InstallPorts), so a pass always
    // sees one consistent set: ports, the port of each interface index, pending TX counts, poll descriptors.
    private XskPort[] _ports;
    /// <summary>Port used to transmit on each interface (by interface index); -1 when the interface has no socket.</summary>
    private int[] _txPortOfInterface;
    private uint[] _pendingTx;
    private Libc.PollFd[] _pollFds;
    private readonly uint _batch;
    private readonly int _idleSpinsBeforePoll;
    private TPipeline _pipeline;
    private volatile bool _stop;
    private PendingUpdate? _pending;
    private long _published;
    private readonly Lock _publishLock = new();
    private long _applied;
    private readonly CopyEmitter _emitter;

    /// <summary>Updates published and not yet picked up, composed in order; <see cref="Sequence"/> is the newest one's.</summary>
    private sealed class PendingUpdate(PipelineUpdate<TPipeline> update, long sequence)
    {
        public readonly PipelineUpdate<TPipeline> Update = update;
        public readonly long Sequence = sequence;
    }

    /// <summary>A port array with everything the loop derives from it, built off the worker thread.</summary>
    private sealed class PortSet
    {
        public PortSet(XskPort[] ports, int interfaceCount)
        {
            Ports = ports;
            TxPortOfInterface = new int[interfaceCount];
            Array.Fill(TxPortOfInterface, -1);
            for (var i = ports.Length - 1; i >= 0; i--)
            {
                if ((uint)ports[i].InterfaceIndex >= (uint)interfaceCount)
                    throw new ArgumentException($"Port {i} names interface {ports[i].InterfaceIndex}, but only {interfaceCount} interfaces exist", nameof(ports));
                TxPortOfInterface[ports[i].InterfaceIndex] = i;
            }
            PendingTx = new uint[ports.Length];
            PollFds = new Libc.PollFd[ports.Length];
            for (var i = 0; i < ports.Length; i++) PollFds[i] = new Libc.PollFd { Fd = ports[i].Socket.Fd, Events = Libc.POLLIN };
        }

        public readonly XskPort[] Ports;
        public readonly int[] TxPortOfInterface;
        public readonly uint[] PendingTx;
        public readonly Libc.PollFd[] PollFds;
    }

    public long Batches;
    public long IdlePolls;
    /// <summary>Pipeline updates applied (configuration reloads, refreshed neighbour tables).</summary>
    public long Updates;
    /// <summary>
    /// Bytes the worker thread has allocated so far (GC.GetAllocatedBytesForCurrentThread, sampled after each busy
    /// pass). Flat in steady state: the hot path allocates nothing, and tests assert that through the stats.
    /// </summary>
    public long AllocatedBytes;

    public DataPlaneWorker(Umem umem, XskPort[] ports, int interfaceCount, TPipeline pipeline, int batch = 64, int idleSpinsBeforePoll = 2000)
    {
        _umem = umem;
        _pool = umem.Pool;
        _pipeline = pipeline;
        _batch = (uint)batch;
        _idleSpinsBeforePoll = idleSpinsBeforePoll;
        var set = new PortSet(ports, interfaceCount);
        _ports = set.Ports;
        _txPortOfInterface = set.TxPortOfInterface;
        _pendingTx = set.PendingTx;
        _pollFds = set.PollFds;
        _emitter = new CopyEmitter(this);
        PrimeFillRings();
    }

    /// <summary>The ports the worker drives now (read by other threads for display only).</summary>
    public IReadOnlyList<XskPort> Ports => Volatile.Read(ref _ports);

    /// <summary>Free frames in the pool (read by other threads for display and tests; exact only between batches).</summary>
    public int FreeFrames => _pool.Count;

    /// <summary>The pipeline the worker runs. Other threads read it only for counters; they change it through <see cref="Publish"/>.</summary>
    public ref TPipeline Pipeline => ref _pipeline;

    /// <summary>
    /// Hands the worker a change to apply between two batches (RCU style: the tables it installs are built and
    /// immutable already, so the worker pauses for one reference store, never for a rebuild). Updates published
    /// before the worker picked up the previous one are composed, never lost. A worker that is not running (tests,
    /// before Start) applies nothing until it runs.
    /// </summary>
    /// <returns>The update's sequence number, for <see cref="WaitApplied"/>.</returns>
    public long Publish(PipelineUpdate<TPipeline> update)
    {
        // Publishers (reloads, the neighbour refresher, endpoint requests) take turns; the worker only ever swaps the
        // pending slot to null, so the compare-and-swap below loses at most to it.
        lock (_publishLock)
        {
            var sequence = _published + 1;
            Volatile.Write(ref _published, sequence);
            while (true)
            {
                var current = Volatile.Read(ref _pending);
                var composed = current is null ? update : (ref TPipeline p) => { current.Update(ref p); update(ref p); };
                if (Interlocked.CompareExchange(ref _pending, new PendingUpdate(composed, sequence), current) == current) return sequence;
            }
        }
    }

    /// <summary>
    /// Hands the worker a new port array (ports added or removed live) together with a pipeline update that installs
    /// tables numbered for the same interfaces, applied as one step between two batches: a batch never sees tables
    /// that name an interface its port array lacks, or the reverse. New ports (not in the running array) get their
    /// fill ring primed from the pool by the worker before they are first polled. A port left out is never touched
    /// by the worker again once <see cref="WaitApplied"/> returned true for the returned sequence.
    /// </summary>
    public long PublishPorts(XskPort[] ports, int interfaceCount, PipelineUpdate<TPipeline>? update)
    {
        ArgumentNullException.ThrowIfNull(ports);
        var set = new PortSet(ports, interfaceCount);
        return Publish((ref TPipeline p) =>
        {
            InstallPorts(set);
            update?.Invoke(ref p);
        });
    }

    /// <summary>Frames taken back from a removed socket, returned to the pool by the worker (the pool is the worker's alone).</summary>
    public long ReturnFrames(ulong[] frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        return Publish((ref TPipeline _) =>
        {
            foreach (var f in frames) _pool.Free(f);
        });
    }

    /// <summary>True once every published update has been applied.</summary>
    public bool UpdatesApplied => Volatile.Read(ref _applied) >= Volatile.Read(ref _published);

    /// <summary>Waits until the update numbered <paramref name="sequence"/> (and every one before it) has run; false on timeout.</summary>
    public bool WaitApplied(long sequence, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Volatile.Read(ref _applied) < sequence)
        {
            if (Environment.TickCount64 > deadline) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    public void Stop() => _stop = true;

    /// <summary>Starts the loop on a dedicated thread, pinned to <paramref name="cpu"/> when given.</summary>
    public Thread Start(int? cpu, string name = "xdpnet-worker")
    {
        var thread = new Thread(() =>
        {
            try
            {
                if (cpu is int c) CpuAffinity.PinCurrentThread(c);
                Run();
            }
            catch (Exception ex)
            {
                // A data-plane loop that throws has corrupted frame accounting: stop the process loudly.
                Environment.FailFast("xdpnet worker failed", ex);
            }
        })
        { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }

    /// <summary>Loops until <see cref="Stop"/>.</summary>
    public void Run()
    {
        var idle = 0;
        while (!_stop)
        {
            if (RunOnce() != 0)
            {
                AllocatedBytes = GC.GetAllocatedBytesForCurrentThread();
                idle = 0;
                continue;
            }
            if (++idle < _idleSpinsBeforePoll) continue;
            idle = 0;
            IdlePolls++;
            fixed (Libc.PollFd* fds = _pollFds)
            {
                // Sleep in the kernel until a socket has packets; the timeout bounds how late Stop() is noticed.
                Libc.Poll(fds, (nuint)_pollFds.Length, 50);
            }
        }
    }

    /// <summary>One pass over all ports; returns the number of packets received.</summary>
    public int RunOnce()
    {
        if (Volatile.Read(ref _pending) is not null)
        {
            var update = Interlocked.Exchange(ref _pending, null);
            if (update is not null)
            {
                update.Update(ref _pipeline);
                Volatile.Write(ref _applied, update.Sequence);
            }
            Updates++;
        }
        var received = 0;
        var ports = _ports;
        for (var p = 0; p < ports.Length; p++)
        {
            var port = ports[p];
            var socket = port.Socket;
            Reclaim(socket);
            Refill(socket);
            var n = socket.Rx.Peek(_batch, out var idx);
            if (n == 0)
            {
                if (socket.Fill.NeedsWakeup) socket.KickRx();
                continue;
            }
            received += (int)n;
            ProcessBatch(port, idx, n);
            socket.Rx.Release(n);
        }
        if (received != 0)
        {
            Batches++;
            FlushTx();
        }
        return received;
    }

    private void ProcessBatch(XskPort port, uint idx, uint n)
    {
        var counters = port.Counters;
        var frameSize = (ulong)_umem.FrameSize;
        var frameMask = frameSize - 1;
        var umemBase = _umem.Base;
        var emitter = _emitter;
        emitter.Port = port;
        long bytes = 0;
        // The kernel wrote these frames on another CPU: the first touch of each is a cache miss. Ask for the
        // headers of the packets two ahead while this one is processed.
        Prefetch(umemBase, port.Socket, idx, 0, n);
        Prefetch(umemBase, port.Socket, idx, 1, n);
        for (uint i = 0; i < n; i++)
        {
            Prefetch(umemBase, port.Socket, idx, i + 2, n);
            var desc = port.Socket.Rx[idx + i];
            bytes += desc.Len;
            var offsetInFrame = (int)(desc.Addr & frameMask);
            var ctx = new PacketContext(umemBase + desc.Addr, (int)desc.Len, offsetInFrame,
                (int)frameSize - offsetInFrame - (int)desc.Len, port.InterfaceIndex);
            ctx.Emitter = emitter;
            var verdict = _pipeline.Process(ref ctx);
            if (verdict == Verdict.Tx && !Enqueue(ref ctx))
            {
                verdict = Verdict.Drop;
                ctx.Reason = DropReason.TxRingFull;
            }
            if (verdict != Verdict.Tx)
            {
                // Continue (no stage claimed it) and Pass (only the steering program may pass) count as drops too.
                var reason = verdict == Verdict.Drop ? ctx.Reason : DropReason.None;
                counters.Drops[(int)reason]++;
                _pool.Free(desc.Addr);
            }
        }
        counters.RxPackets += n;
        counters.RxBytes += bytes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(byte* umemBase, XskSocket socket, uint idx, uint i, uint n)
    {
        if (i < n && System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(umemBase + socket.Rx[idx + i].Addr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Enqueue(ref PacketContext ctx)
    {
        var egress = (uint)ctx.EgressInterface < (uint)_txPortOfInterface.Length ? _txPortOfInterface[ctx.EgressInterface] : -1;
        if (egress < 0) return false;
        var socket = _ports[egress].Socket;
        if (socket.Tx.Reserve(1, out var slot) == 0)
        {
            // Ring full: push what is queued to the kernel and take back finished frames, then try once more.
            FlushPort(egress);
            socket.KickTx();
            Reclaim(socket);
            if (socket.Tx.Reserve(1, out slot) == 0) return false;
        }
        ref var d = ref socket.Tx[slot];
        d.Addr = (ulong)(ctx.Data - _umem.Base);
        d.Len = (uint)ctx.Length;
        d.Options = 0;
        _pendingTx[egress]++;
        _ports[egress].Counters.TxBytes += ctx.Length;
        return true;
    }

    private void FlushTx()
    {
        for (var p = 0; p < _ports.Length; p++)
        {
            if (_pendingTx[p] == 0) continue;
            FlushPort(p);
            var socket = _ports[p].Socket;
            // Copy mode transmits only inside sendto(); zero-copy drivers need it only when they asked.
            if (!socket.ZeroCopy || socket.Tx.NeedsWakeup) socket.KickTx();
        }
    }

    private void FlushPort(int p)
    {
        var pending = _pendingTx[p];
        if (pending == 0) return;
        _ports[p].Socket.Tx.Submit(pending);
        _ports[p].Counters.TxPackets += pending;
        _pendingTx[p] = 0;
    }

    private void Reclaim(XskSocket socket)
    {
        var n = socket.Completion.Peek(_batch * 4, out var idx);
        if (n == 0) return;
        for (uint i = 0; i < n; i++) _pool.Free(socket.Completion[idx + i]);
        socket.Completion.Release(n);
    }

    private void Refill(XskSocket socket)
    {
        var want = (uint)Math.Min(_pool.Count, (int)_batch * 4);
        if (want == 0) return;
        var n = socket.Fill.Reserve(want, out var idx);
        for (uint i = 0; i < n; i++)
        {
            _pool.TryAllocate(out var addr);
            socket.Fill[idx + i] = addr;
        }
        if (n != 0) socket.Fill.Submit(n);
    }

    /// <summary>Runs on the worker thread between two batches (nothing is pending on any TX ring then).</summary>
    private void InstallPorts(PortSet set)
    {
        var running = _ports;
        foreach (var port in set.Ports)
        {
            if (Array.IndexOf(running, port) >= 0) continue;
            // A new socket starts with half of what is free (at most its ring): the rest stays for TX and the other
            // rings; the per-pass refill tops it up from there.
            var socket = port.Socket;
            var n = socket.Fill.Reserve(Math.Min((uint)(_pool.Count / 2), socket.Fill.Size), out var idx);
            for (uint i = 0; i < n; i++)
            {
                _pool.TryAllocate(out var addr);
                socket.Fill[idx + i] = addr;
            }
            socket.Fill.Submit(n);
        }
        _txPortOfInterface = set.TxPortOfInterface;
        _pendingTx = set.PendingTx;
        _pollFds = set.PollFds;
        Volatile.Write(ref _ports, set.Ports);
    }

    private void PrimeFillRings()
    {
        // Give each socket an equal share of half the frames; the other half stays free for frames in TX rings.
        var share = (uint)(_pool.Count / Math.Max(1, _ports.Length) / 2);
        foreach (var port in _ports)
        {
            var socket = port.Socket;
            var n = socket.Fill.Reserve(Math.Min(share, socket.Fill.Size), out var idx);
            for (uint i = 0; i < n; i++)
            {
                _pool.TryAllocate(out var addr);
                socket.Fill[idx + i] = addr;
            }
            socket.Fill.Submit(n);
        }
    }

    /// <summary>
    /// Copies for head-end replication: a free frame from the pool, the bytes at the same offset, then the same TX
    /// path as a received frame. Drops are counted on the port whose batch is being processed.
    /// </summary>
    private sealed class CopyEmitter(DataPlaneWorker<TPipeline> worker) : PacketEmitter
    {
        public XskPort? Port;

        public override bool TryClone(in PacketContext source, out PacketContext copy)
        {
            var umem = worker._umem;
            if (!worker._pool.TryAllocate(out var frame))
            {
                copy = default;
                return false;
            }
            var offsetInFrame = (int)((ulong)(source.Data - umem.Base) & (ulong)(umem.FrameSize - 1));
            var data = umem.Base + frame + (ulong)offsetInFrame;
            Buffer.MemoryCopy(source.Data, data, source.Length + source.Tailroom, source.Length);
            copy = new PacketContext(data, source.Length, source.Headroom, source.Tailroom, source.IngressInterface)
            {
                SourceIdentity = source.SourceIdentity,
                Emitter = this,
            };
            return true;
        }

        public override void Complete(ref PacketContext copy, Verdict verdict)
        {
            if (verdict == Verdict.Tx && worker.Enqueue(ref copy)) return;
            var reason = verdict == Verdict.Tx ? DropReason.TxRingFull : verdict == Verdict.Drop ? copy.Reason : DropReason.None;
            if (Port is { } port) port.Counters.Drops[(int)reason]++;
            worker._pool.Free((ulong)(copy.Data - worker._umem.Base));
        }
    }
}
