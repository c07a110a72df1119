using Xdp.Runtime.Bpf;
using Xdp.Runtime.Counters;
using Xdp.Runtime.Pipeline;
using Xdp.Runtime.Worker;
using Xdp.Runtime.Xsk;

namespace XdpNet.Host;

/// <summary>One interface the data plane serves, as set up from the configuration.</summary>
public sealed record InterfaceBinding(
    string Name,
    IReadOnlyList<int> Queues,
    XskBindMode Bind,
    XdpAttachMode Attach,
    SteeringRules Steering);

/// <summary>What the kernel actually gave us for one socket.</summary>
public sealed record PortState(string Interface, int Ifindex, uint Queue, bool ZeroCopy, XdpAttachMode AttachMode);

/// <summary>
/// One served interface: its steering program, a socket per queue, its counters, at a fixed interface index (the
/// number the tables and <see cref="XskPort.InterfaceIndex"/> use; kept for as long as the interface is served).
/// </summary>
public sealed class InterfacePlane
{
    internal InterfacePlane(int index, InterfaceBinding binding, XdpSteeringProgram program)
    {
        Index = index;
        Binding = binding;
        Program = program;
        Counters = new InterfaceCounters(binding.Name);
    }

    public int Index { get; }
    public string Name => Binding.Name;
    public InterfaceBinding Binding { get; }
    public XdpSteeringProgram Program { get; }
    public InterfaceCounters Counters { get; }
    public List<XskSocket> Sockets { get; } = [];
    public List<XskPort> Ports { get; } = [];
    public List<PortState> States { get; } = [];
}

/// <summary>What a live interface change did: per removed interface, the frames taken back from its sockets.</summary>
public sealed record InterfaceRemoval(string Name, int Index, int FramesReturned, long FramesLost);

/// <summary>
/// The live data plane of one process: the shared UMEM, a socket per (interface, queue), the steering program
/// on each interface, and the pinned worker running <typeparamref name="TPipeline"/>.
/// Set-up order matters: sockets are bound before the steering program redirects to them, and on shutdown
/// the programs are detached first so traffic falls back to the kernel before the sockets close. Interfaces are
/// added and removed live (<see cref="Prepare"/>, <see cref="Apply"/>) in the same order.
/// </summary>
public sealed class DataPlane<TPipeline> : IDisposable where TPipeline : struct, IPacketStage
{
    /// <summary>How long a removed socket's TX ring is given to complete, and the worker to pick an update up.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan UpdateTimeout = TimeSpan.FromSeconds(5);

    private readonly XskSocketOptions _socketOptions;
    // By interface index; null where an interface was removed (its index is free for the next one added).
    private InterfacePlane?[] _slots;
    private Thread? _thread;
    private long _framesLost;

    public DataPlane(Umem umem, IReadOnlyList<InterfaceBinding> interfaces, XskSocketOptions socketOptions, TPipeline pipeline, int batch)
    {
        Umem = umem;
        _socketOptions = socketOptions;
        _slots = new InterfacePlane?[interfaces.Count];
        try
        {
            for (var i = 0; i < interfaces.Count; i++) _slots[i] = Open(i, interfaces[i]);
            Worker = new DataPlaneWorker<TPipeline>(umem, [.. PortsOf(_slots)], interfaces.Count, pipeline, batch);
            // Only now that every fill ring is primed do the programs start redirecting.
            foreach (var plane in _slots) Register(plane!);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public Umem Umem { get; }
    public DataPlaneWorker<TPipeline> Worker { get; } = null!;

    /// <summary>The served interfaces by interface index (null: a free index). A snapshot: safe to read from any thread.</summary>
    public IReadOnlyList<InterfacePlane?> Interfaces => Volatile.Read(ref _slots);

    /// <summary>Number of interface indexes in use, holes included (the length the tables must have).</summary>
    public int InterfaceCount => Volatile.Read(ref _slots).Length;

    /// <summary>Frames that stayed inside the kernel when interfaces were removed (see <see cref="XskSocket.Drain"/>).</summary>
    public long FramesLost => Interlocked.Read(ref _framesLost);

    public void Start(int? cpu) => _thread = Worker.Start(cpu);

    /// <summary>
    /// Attaches the steering program to a new interface and binds its sockets on the shared UMEM (own fill and
    /// completion rings). Nothing is redirected to them yet (their XSKMAP entries are set by <see cref="Apply"/>,
    /// after the worker primed their fill rings) and the worker does not know them. Throws, leaving nothing behind,
    /// when the kernel refuses.
    /// </summary>
    public InterfacePlane Prepare(int index, InterfaceBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        return Open(index, binding);
    }

    /// <summary>Undoes <see cref="Prepare"/> for an interface that was never applied.</summary>
    public static void Discard(InterfacePlane plane)
    {
        ArgumentNullException.ThrowIfNull(plane);
        Close(plane);
    }

    /// <summary>
    /// One live change of the interface set, in the order that keeps other interfaces' traffic untouched and accounts
    /// for every frame: the steering programs of <paramref name="removed"/> are detached first (no new RX); then the
    /// worker gets, as one update between two batches, the new port array and <paramref name="update"/> (tables
    /// numbered for the same interface indexes, <paramref name="interfaceCount"/> of them); once it applied that, the
    /// added interfaces' sockets go into their XSKMAPs, and each removed socket is drained (RX, TX completions,
    /// unconsumed fill entries) with its frames handed back to the worker's pool before it is closed.
    /// </summary>
    public IReadOnlyList<InterfaceRemoval> Apply(IReadOnlyList<InterfacePlane> added, IReadOnlyList<int> removed, int interfaceCount, PipelineUpdate<TPipeline> update)
    {
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(removed);
        var slots = new InterfacePlane?[interfaceCount];
        var running = _slots;
        Array.Copy(running, slots, Math.Min(running.Length, interfaceCount));
        var gone = new List<InterfacePlane>();
        foreach (var index in removed)
        {
            if ((uint)index < (uint)running.Length && running[index] is { } plane)
            {
                gone.Add(plane);
                if (index < slots.Length) slots[index] = null;
            }
        }
        foreach (var plane in added)
        {
            if ((uint)plane.Index >= (uint)slots.Length || slots[plane.Index] is not null)
                throw new ArgumentException($"Interface index {plane.Index} of {plane.Name} is in use or out of range ({slots.Length})", nameof(added));
            slots[plane.Index] = plane;
        }
        for (var i = running.Length - 1; i >= slots.Length; i--)
        {
            if (running[i] is not null && !gone.Contains(running[i]!))
                throw new ArgumentException($"Interface index {i} ({running[i]!.Name}) is still served but beyond the new count {interfaceCount}", nameof(interfaceCount));
        }

        // No new RX on what goes: the kernel handles those interfaces' traffic from here on.
        foreach (var plane in gone) plane.Program.Dispose();

        var sequence = Worker.PublishPorts([.. PortsOf(slots)], interfaceCount, update);
        if (!Worker.WaitApplied(sequence, UpdateTimeout))
            throw new InvalidOperationException("the worker did not pick up the interface change (is it running?)");
        Volatile.Write(ref _slots, slots);

        foreach (var plane in added) Register(plane);

        var removals = new List<InterfaceRemoval>();
        foreach (var plane in gone)
        {
            var frames = new List<ulong>();
            long lost = 0;
            foreach (var socket in plane.Sockets)
            {
                // The UMEM stays registered through another socket when its owner goes.
                if (Umem.Owner == socket) Umem.TransferOwnership(FirstSocketOtherThan(slots, socket));
                var result = socket.Drain(frames, DrainTimeout);
                lost += result.KernelHeld;
            }
            var returned = Worker.ReturnFrames([.. frames]);
            Worker.WaitApplied(returned, UpdateTimeout);
            foreach (var socket in plane.Sockets) socket.Dispose();
            Interlocked.Add(ref _framesLost, lost);
            removals.Add(new InterfaceRemoval(plane.Name, plane.Index, frames.Count, lost));
        }
        return removals;
    }

    private static XskSocket? FirstSocketOtherThan(InterfacePlane?[] slots, XskSocket socket)
    {
        foreach (var plane in slots)
        {
            if (plane is null) continue;
            foreach (var s in plane.Sockets)
            {
                if (s != socket) return s;
            }
        }
        return null;
    }

    private static IEnumerable<XskPort> PortsOf(InterfacePlane?[] slots)
    {
        foreach (var plane in slots)
        {
            if (plane is null) continue;
            foreach (var port in plane.Ports) yield return port;
        }
    }

    private InterfacePlane Open(int index, InterfaceBinding binding)
    {
        var program = XdpSteeringProgram.Attach(binding.Name, binding.Attach, binding.Steering);
        var plane = new InterfacePlane(index, binding, program);
        try
        {
            foreach (var queue in binding.Queues)
            {
                // Copy-mode binding must match how the program was attached: a generic (skb) program feeds copy mode only.
                var options = program.ObtainedMode == XdpAttachMode.Generic && _socketOptions.BindMode == XskBindMode.Auto
                    ? _socketOptions with { BindMode = binding.Bind == XskBindMode.ZeroCopy ? XskBindMode.ZeroCopy : XskBindMode.Copy }
                    : _socketOptions with { BindMode = binding.Bind };
                var socket = XskSocket.Create(Umem, binding.Name, (uint)queue, options);
                plane.Sockets.Add(socket);
                plane.Ports.Add(new XskPort(socket, index, plane.Counters));
                plane.States.Add(new PortState(binding.Name, socket.Ifindex, (uint)queue, socket.ZeroCopy, program.ObtainedMode));
            }
        }
        catch
        {
            Close(plane);
            throw;
        }
        return plane;
    }

    private static void Register(InterfacePlane plane)
    {
        for (var q = 0; q < plane.Sockets.Count; q++) plane.Program.RegisterSocket(plane.States[q].Queue, plane.Sockets[q].Fd);
    }

    private static void Close(InterfacePlane plane)
    {
        plane.Program.Dispose();
        foreach (var socket in plane.Sockets)
        {
            if (socket.Umem.Owner == socket) socket.Umem.TransferOwnership(null);
            socket.Dispose();
        }
    }

    public void Dispose()
    {
        var slots = _slots;
        foreach (var plane in slots) plane?.Program.Dispose();
        if (_thread is not null)
        {
            Worker.Stop();
            _thread.Join();
            _thread = null;
        }
        foreach (var plane in slots)
        {
            if (plane is null) continue;
            foreach (var socket in plane.Sockets) socket.Dispose();
        }
    }
}
