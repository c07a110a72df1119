using System.Runtime.InteropServices;
using Xdp.Runtime.Interop;
using Libc = Xdp.Runtime.Interop.Interop.Libc;

namespace Xdp.Runtime.Xsk;

/// <summary>
/// An AF_XDP socket bound to one (interface, queue), with its own RX/TX and fill/completion rings, on the
/// process's shared <see cref="Umem"/>. Rings are mapped into this process and driven in C#
/// (<see cref="ProducerRing{T}"/>, <see cref="ConsumerRing{T}"/>): no P/Invoke per ring operation, only
/// the wake-up syscalls the kernel asks for.
/// </summary>
public sealed unsafe class XskSocket : IDisposable
{
    private readonly MappedRegion _rxMap, _txMap, _fillMap, _compMap;
    private int _fd;

    public ProducerRing<ulong> Fill;
    public ConsumerRing<ulong> Completion;
    public ConsumerRing<XdpDesc> Rx;
    public ProducerRing<XdpDesc> Tx;

    public int Fd => _fd;
    public string InterfaceName { get; }
    public int Ifindex { get; }
    public uint QueueId { get; }
    public Umem Umem { get; }
    /// <summary>True when the kernel bound in zero-copy mode (read back with XDP_OPTIONS).</summary>
    public bool ZeroCopy { get; }
    public bool SharesUmem { get; }

    private XskSocket(Umem umem, string interfaceName, int ifindex, uint queueId, XskSocketOptions options)
    {
        Umem = umem;
        InterfaceName = interfaceName;
        Ifindex = ifindex;
        QueueId = queueId;

        _fd = Libc.Socket(IfXdp.AF_XDP, IfXdp.SOCK_RAW, 0);
        if (_fd < 0) throw XskException.FromErrno("socket(AF_XDP)", Marshal.GetLastPInvokeError());
        try
        {
            SharesUmem = umem.Owner is not null;
            if (!SharesUmem) RegisterUmem(umem);

            // Every socket on its own (interface, queue) needs its own fill and completion rings, also when sharing the UMEM.
            SetRingSize(IfXdp.XDP_UMEM_FILL_RING, options.FillSize, "fill");
            SetRingSize(IfXdp.XDP_UMEM_COMPLETION_RING, options.CompletionSize, "completion");
            SetRingSize(IfXdp.XDP_RX_RING, options.RxSize, "rx");
            SetRingSize(IfXdp.XDP_TX_RING, options.TxSize, "tx");

            XdpMmapOffsets off;
            var len = (uint)sizeof(XdpMmapOffsets);
            if (Libc.GetSockOpt(_fd, IfXdp.SOL_XDP, IfXdp.XDP_MMAP_OFFSETS, &off, &len) != 0)
                throw XskException.FromErrno("getsockopt(XDP_MMAP_OFFSETS)", Marshal.GetLastPInvokeError());

            // The rings must be mapped before bind: the kernel refuses mmap on a bound socket.
            _fillMap = MappedRegion.Ring(_fd, (nuint)(off.Fr.Desc + options.FillSize * sizeof(ulong)), IfXdp.XDP_UMEM_PGOFF_FILL_RING, "fill");
            _compMap = MappedRegion.Ring(_fd, (nuint)(off.Cr.Desc + options.CompletionSize * sizeof(ulong)), IfXdp.XDP_UMEM_PGOFF_COMPLETION_RING, "completion");
            _rxMap = MappedRegion.Ring(_fd, (nuint)(off.Rx.Desc + options.RxSize * (ulong)sizeof(XdpDesc)), IfXdp.XDP_PGOFF_RX_RING, "rx");
            _txMap = MappedRegion.Ring(_fd, (nuint)(off.Tx.Desc + options.TxSize * (ulong)sizeof(XdpDesc)), IfXdp.XDP_PGOFF_TX_RING, "tx");

            Fill = new ProducerRing<ulong>(U32(_fillMap, off.Fr.Producer), U32(_fillMap, off.Fr.Consumer), U32(_fillMap, off.Fr.Flags), (ulong*)(_fillMap.Pointer + off.Fr.Desc), options.FillSize);
            Completion = new ConsumerRing<ulong>(U32(_compMap, off.Cr.Producer), U32(_compMap, off.Cr.Consumer), U32(_compMap, off.Cr.Flags), (ulong*)(_compMap.Pointer + off.Cr.Desc), options.CompletionSize);
            Rx = new ConsumerRing<XdpDesc>(U32(_rxMap, off.Rx.Producer), U32(_rxMap, off.Rx.Consumer), U32(_rxMap, off.Rx.Flags), (XdpDesc*)(_rxMap.Pointer + off.Rx.Desc), options.RxSize);
            Tx = new ProducerRing<XdpDesc>(U32(_txMap, off.Tx.Producer), U32(_txMap, off.Tx.Consumer), U32(_txMap, off.Tx.Flags), (XdpDesc*)(_txMap.Pointer + off.Tx.Desc), options.TxSize);

            if (options.BusyPoll) ConfigureBusyPoll(options);
            if (options.TxSkbBudget is int budget) SetInt(IfXdp.SOL_XDP, IfXdp.XDP_MAX_TX_SKB_BUDGET, budget, "XDP_MAX_TX_SKB_BUDGET");

            Bind(options);

            XdpOptions xo;
            len = (uint)sizeof(XdpOptions);
            ZeroCopy = Libc.GetSockOpt(_fd, IfXdp.SOL_XDP, IfXdp.XDP_OPTIONS, &xo, &len) == 0 && (xo.Flags & IfXdp.XDP_OPTIONS_ZEROCOPY) != 0;
            if (!SharesUmem) umem.Owner = this;
        }
        catch
        {
            _fillMap?.Dispose();
            _compMap?.Dispose();
            _rxMap?.Dispose();
            _txMap?.Dispose();
            Libc.Close(_fd);
            _fd = -1;
            throw;
        }
    }

    /// <summary>Creates and binds a socket on (<paramref name="interfaceName"/>, <paramref name="queueId"/>).</summary>
    public static XskSocket Create(Umem umem, string interfaceName, uint queueId, XskSocketOptions options)
    {
        var ifindex = (int)Libc.IfNameToIndex(interfaceName);
        if (ifindex == 0) throw new XskException($"interface '{interfaceName}' not found", Marshal.GetLastPInvokeError());
        return new XskSocket(umem, interfaceName, ifindex, queueId, options);
    }

    private static uint* U32(MappedRegion map, ulong offset) => (uint*)(map.Pointer + offset);

    private void RegisterUmem(Umem umem)
    {
        var reg = new XdpUmemReg
        {
            Addr = (ulong)umem.Base,
            Len = (ulong)umem.Frames * (ulong)umem.FrameSize,
            ChunkSize = (uint)umem.FrameSize,
            Headroom = (uint)umem.Headroom,
            Flags = 0,
        };
        if (Libc.SetSockOpt(_fd, IfXdp.SOL_XDP, IfXdp.XDP_UMEM_REG, &reg, (uint)sizeof(XdpUmemReg)) != 0)
            throw XskException.FromErrno("setsockopt(XDP_UMEM_REG)", Marshal.GetLastPInvokeError());
    }

    private void SetRingSize(int option, uint size, string what) => SetInt(IfXdp.SOL_XDP, option, (int)size, $"{what} ring size {size}");

    private void SetInt(int level, int option, int value, string what)
    {
        if (Libc.SetSockOpt(_fd, level, option, &value, sizeof(int)) != 0)
            throw XskException.FromErrno($"setsockopt({what})", Marshal.GetLastPInvokeError());
    }

    private void ConfigureBusyPoll(XskSocketOptions o)
    {
        if (o.PreferBusyPoll) SetInt(IfXdp.SOL_SOCKET, IfXdp.SO_PREFER_BUSY_POLL, 1, "SO_PREFER_BUSY_POLL");
        SetInt(IfXdp.SOL_SOCKET, IfXdp.SO_BUSY_POLL, o.BusyPollTimeoutUs, "SO_BUSY_POLL");
        SetInt(IfXdp.SOL_SOCKET, IfXdp.SO_BUSY_POLL_BUDGET, o.BusyPollBudget, "SO_BUSY_POLL_BUDGET");
    }

    private void Bind(XskSocketOptions options)
    {
        // A socket sharing the UMEM may not pass mode flags: it inherits copy/zero-copy and need_wakeup from the owner.
        ReadOnlySpan<ushort> attempts = SharesUmem
            ? [IfXdp.XDP_SHARED_UMEM]
            : options.BindMode switch
            {
                XskBindMode.Copy => [(ushort)(IfXdp.XDP_COPY | IfXdp.XDP_USE_NEED_WAKEUP)],
                XskBindMode.ZeroCopy => [(ushort)(IfXdp.XDP_ZEROCOPY | IfXdp.XDP_USE_NEED_WAKEUP)],
                _ => [(ushort)(IfXdp.XDP_ZEROCOPY | IfXdp.XDP_USE_NEED_WAKEUP), (ushort)(IfXdp.XDP_COPY | IfXdp.XDP_USE_NEED_WAKEUP)],
            };
        var deadline = Environment.TickCount64 + (long)options.BusyRetryTimeout.TotalMilliseconds;
        var delayMs = 10;
        for (var i = 0; i < attempts.Length; i++)
        {
            var addr = new SockaddrXdp
            {
                Family = IfXdp.AF_XDP,
                Flags = attempts[i],
                Ifindex = (uint)Ifindex,
                QueueId = QueueId,
                SharedUmemFd = SharesUmem ? (uint)Umem.Owner!.Fd : 0,
            };
            while (true)
            {
                if (Libc.Bind(_fd, &addr, (uint)sizeof(SockaddrXdp)) == 0) return;
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EBUSY && Environment.TickCount64 < deadline)
                {
                    // The queue was released moments ago (another process, or our own restart): back off and retry.
                    Thread.Sleep(delayMs);
                    delayMs = Math.Min(delayMs * 2, 200);
                    continue;
                }
                var last = i == attempts.Length - 1;
                if (!last && (errno == Libc.EOPNOTSUPP || errno == Libc.EINVAL)) break; // zero-copy unsupported: try copy
                throw XskException.FromErrno($"bind AF_XDP socket to {InterfaceName} queue {QueueId} ({DescribeFlags(attempts[i])})", errno);
            }
        }
    }

    private static string DescribeFlags(ushort flags) =>
        (flags & IfXdp.XDP_SHARED_UMEM) != 0 ? "shared UMEM" : (flags & IfXdp.XDP_ZEROCOPY) != 0 ? "zero-copy" : "copy";

    /// <summary>Kicks the kernel to transmit what the TX ring holds (copy mode transmits only inside this call).</summary>
    public void KickTx()
    {
        if (Libc.SendTo(_fd, null, 0, Libc.MSG_DONTWAIT, null, 0) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // Transient: the kernel is busy or out of buffers; the descriptors stay in the ring for the next kick.
            // ENXIO: the interface went away under the socket (a container's veth deleted before it was removed from
            // the data plane); its descriptors stay in the ring until the port is drained.
            if (errno is Libc.EAGAIN or Libc.ENOBUFS or Libc.EBUSY or Libc.ENETDOWN or Libc.ENXIO) return;
            throw XskException.FromErrno($"sendto on {InterfaceName}", errno);
        }
    }

    /// <summary>Wakes the kernel to refill RX from the fill ring (when it set need_wakeup on the fill ring).</summary>
    public void KickRx() => Libc.RecvFrom(_fd, null, 0, Libc.MSG_DONTWAIT, null, null);

    /// <summary>The kernel's XDP_STATISTICS for this socket.</summary>
    public XdpStatistics ReadStatistics()
    {
        XdpStatistics stats;
        var len = (uint)sizeof(XdpStatistics);
        if (Libc.GetSockOpt(_fd, IfXdp.SOL_XDP, IfXdp.XDP_STATISTICS, &stats, &len) != 0) return default;
        return stats;
    }

    /// <summary>
    /// Takes back every frame this socket holds, once nothing will use it any more (its steering entry is gone and the
    /// worker no longer drives it): TX is kicked until the kernel completed what it took (or <paramref name="txTimeout"/>
    /// passed), then the frames are read out of the rings: completions not yet reclaimed, received descriptors not
    /// yet processed, TX descriptors the kernel never took, and the fill-ring entries the kernel did not consume
    /// (between its published consumer and our producer; the kernel publishes its fill consumer with every RX flush,
    /// so at rest no entry there was taken). Every ring index counts from 0 since the socket was created, so what the
    /// kernel still holds inside itself is known exactly: fill entries it took but never delivered to RX (a receive
    /// that failed, e.g. RX ring full, keeps its buffer in the kernel's pool; zero-copy drivers keep their hardware
    /// ring's buffers) plus TX descriptors it took but never completed. Those cannot be read back and are reported.
    /// Addresses are appended to <paramref name="frames"/> (frame bases, each once).
    /// </summary>
    public XskDrainResult Drain(List<ulong> frames, TimeSpan txTimeout)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var deadline = Environment.TickCount64 + (long)txTimeout.TotalMilliseconds;
        while (Completion.ProducerIndex != Tx.ProducerIndex && Environment.TickCount64 < deadline)
        {
            // The device may be gone (ENXIO) or busy: KickTx treats those as transient, the wait is bounded.
            KickTx();
            Thread.Sleep(1);
        }
        var mask = ~(ulong)(Umem.FrameSize - 1);
        var seen = new HashSet<ulong>();
        var duplicates = 0;
        void Take(ulong address)
        {
            if (seen.Add(address & mask)) frames.Add(address & mask);
            else duplicates++;
        }
        uint completed = 0, received = 0, untransmitted = 0, unfilled = 0;
        for (uint i = Completion.ConsumerIndex, end = Completion.ProducerIndex; i != end; i++, completed++) Take(Completion[i]);
        for (uint i = Rx.ConsumerIndex, end = Rx.ProducerIndex; i != end; i++, received++) Take(Rx[i].Addr);
        for (uint i = Tx.ConsumerIndex, end = Tx.ProducerIndex; i != end; i++, untransmitted++) Take(Tx[i].Addr);
        for (uint i = Fill.ConsumerIndex, end = Fill.ProducerIndex; i != end; i++, unfilled++) Take(Fill[i]);
        // Taken from fill and never delivered to RX, plus taken from TX and never completed: inside the kernel.
        var kernelHeld = (Fill.ConsumerIndex - Rx.ProducerIndex) + (Tx.ConsumerIndex - Completion.ProducerIndex);
        return new XskDrainResult(completed, received, untransmitted, unfilled, kernelHeld, duplicates);
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        _rxMap.Dispose();
        _txMap.Dispose();
        _fillMap.Dispose();
        _compMap.Dispose();
        Libc.Close(_fd);
        _fd = -1;
    }
}
