using Xdp.Runtime.Bpf;
using Xdp.Runtime.Counters;
using Xdp.Runtime.Interop;
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
/// The live data plane of one process: the shared UMEM, a socket per (interface, queue), the steering program
/// on each interface, and the pinned worker running <typeparamref name="TPipeline"/>.
/// Set-up order matters: sockets are bound before the steering program redirects to them, and on shutdown
/// the programs are detached first so traffic falls back to the kernel before the sockets close.
/// </summary>
public sealed class DataPlane<TPipeline> : IDisposable where TPipeline : struct, IPacketStage
{
    private readonly List<XskSocket> _sockets = [];
    private readonly List<XdpSteeringProgram> _programs = [];
    private Thread? _thread;

    public DataPlane(Umem umem, IReadOnlyList<InterfaceBinding> interfaces, XskSocketOptions socketOptions, TPipeline pipeline, int batch)
    {
        Umem = umem;
        Counters = interfaces.Select(i => new InterfaceCounters(i.Name)).ToArray();
        var ports = new List<XskPort>();
        var states = new List<PortState>();
        try
        {
            for (var i = 0; i < interfaces.Count; i++)
            {
                var binding = interfaces[i];
                var program = XdpSteeringProgram.Attach(binding.Name, binding.Attach, binding.Steering);
                _programs.Add(program);
                foreach (var queue in binding.Queues)
                {
                    // Copy-mode binding must match how the program was attached: a generic (skb) program feeds copy mode only.
                    var options = program.ObtainedMode == XdpAttachMode.Generic && socketOptions.BindMode == XskBindMode.Auto
                        ? socketOptions with { BindMode = binding.Bind == XskBindMode.ZeroCopy ? XskBindMode.ZeroCopy : XskBindMode.Copy }
                        : socketOptions with { BindMode = binding.Bind };
                    var socket = XskSocket.Create(umem, binding.Name, (uint)queue, options);
                    _sockets.Add(socket);
                    ports.Add(new XskPort(socket, i, Counters[i]));
                    states.Add(new PortState(binding.Name, socket.Ifindex, (uint)queue, socket.ZeroCopy, program.ObtainedMode));
                }
            }
            Worker = new DataPlaneWorker<TPipeline>(umem, [.. ports], interfaces.Count, pipeline, batch);
            // Only now that every fill ring is primed do the programs start redirecting.
            var p = 0;
            for (var i = 0; i < interfaces.Count; i++)
            {
                foreach (var queue in interfaces[i].Queues)
                {
                    _programs[i].RegisterSocket((uint)queue, _sockets[p++].Fd);
                }
            }
            Ports = states;
            Sockets = _sockets;
            Programs = _programs;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public Umem Umem { get; }
    public InterfaceCounters[] Counters { get; }
    public DataPlaneWorker<TPipeline> Worker { get; } = null!;
    public IReadOnlyList<PortState> Ports { get; } = [];
    public IReadOnlyList<XskSocket> Sockets { get; } = [];
    public IReadOnlyList<XdpSteeringProgram> Programs { get; } = [];

    public void Start(int? cpu) => _thread = Worker.Start(cpu);

    public void Dispose()
    {
        foreach (var program in _programs) program.Dispose();
        _programs.Clear();
        if (_thread is not null)
        {
            Worker.Stop();
            _thread.Join();
            _thread = null;
        }
        foreach (var socket in _sockets) socket.Dispose();
        _sockets.Clear();
    }
}
