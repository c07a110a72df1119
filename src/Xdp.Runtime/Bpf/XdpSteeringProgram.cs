using System.Net.Sockets;
using System.Runtime.InteropServices;
using Xdp.Runtime.Interop;
using static Xdp.Runtime.Interop.Interop;

namespace Xdp.Runtime.Bpf;

/// <summary>
/// bpf/xdp-redirect.bpf.o loaded and attached to one interface through a BPF link: owned frames go to the
/// AF_XDP socket registered for their RX queue, everything else to the kernel. The link belongs to this
/// process: when it exits (even killed) the kernel releases the link and the interface falls back to the
/// kernel path, so a restart attaches cleanly. <see cref="Dispose"/> detaches at once.
/// </summary>
public sealed unsafe class XdpSteeringProgram : IDisposable
{
    private const string ProgramName = "xdp_redirect_prog";
    private const int MaxQueues = 64; // xsks_map max_entries
    private const int ENOENT = 2;
    private const int EEXIST = 17;

    private readonly BpfObjectHandle _object;
    private readonly BpfLinkHandle? _link;
    private readonly int _xsksMap;
    private readonly int _cfgMap;
    private readonly int _etherTypesMap;
    private readonly int _v4Map;
    private readonly int _v6Map;
    private readonly int _udpPortsMap;
    private readonly int _statsMap;
    private readonly Lock _gate = new();
    private bool _disposed;

    private XdpSteeringProgram(string interfaceName, int ifindex, BpfObjectHandle obj, int progFd, Maps maps, BpfLinkHandle? link, XdpAttachMode obtained)
    {
        ProgramFd = progFd;
        InterfaceName = interfaceName;
        Ifindex = ifindex;
        ObtainedMode = obtained;
        _object = obj;
        _link = link;
        (_xsksMap, _cfgMap, _etherTypesMap, _v4Map, _v6Map, _udpPortsMap, _statsMap) = maps;
    }

    /// <summary>The interface the program is attached to.</summary>
    public string InterfaceName { get; }

    /// <summary>Its index, in the network namespace of the thread that attached.</summary>
    public int Ifindex { get; }

    /// <summary>The mode the kernel accepted: <see cref="XdpAttachMode.Native"/> or <see cref="XdpAttachMode.Generic"/>.</summary>
    public XdpAttachMode ObtainedMode { get; }

    /// <summary>The loaded program's fd (for BPF_PROG_RUN in tests).</summary>
    internal int ProgramFd { get; }

    /// <summary>Default location of the program object: bpf/xdp-redirect.bpf.o beside the binaries.</summary>
    public static string DefaultObjectPath => Path.Combine(AppContext.BaseDirectory, "bpf", "xdp-redirect.bpf.o");

    /// <summary>
    /// Loads the steering program, fills its maps from <paramref name="rules"/> and attaches it to
    /// <paramref name="interfaceName"/> (resolved in the calling thread's network namespace).
    /// <see cref="XdpAttachMode.Auto"/> tries native mode, then generic.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid rules (the message names the key) or unknown interface.</exception>
    /// <exception cref="FileNotFoundException">The program object is missing.</exception>
    /// <exception cref="InvalidOperationException">Load or attach failed, or the interface already has an XDP program.</exception>
    public static XdpSteeringProgram Attach(string interfaceName, XdpAttachMode mode, SteeringRules rules, string? objectPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        ArgumentNullException.ThrowIfNull(rules);
        rules.Validate();
        objectPath ??= DefaultObjectPath;

        int ifindex = (int)Libc.IfNameToIndex(interfaceName);
        if (ifindex == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new ArgumentException($"Interface '{interfaceName}' not found: {Libc.StrError(errno)}.", nameof(interfaceName));
        }

        if (!File.Exists(objectPath))
        {
            throw new FileNotFoundException($"XDP program object not found (attaching to '{interfaceName}').", objectPath);
        }

        var (obj, progFd, maps) = Load(objectPath, interfaceName, rules);
        try
        {
            var (link, obtained) = AttachLink(progFd, ifindex, interfaceName, mode);
            return new XdpSteeringProgram(interfaceName, ifindex, obj, progFd, maps, link, obtained);
        }
        catch
        {
            obj.Dispose();
            throw;
        }
    }

    /// <summary>Loads the program with its rules but attaches it nowhere: for BPF_PROG_RUN parity tests.</summary>
    internal static XdpSteeringProgram LoadUnattached(SteeringRules rules, string? objectPath = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        rules.Validate();
        objectPath ??= DefaultObjectPath;
        var (obj, progFd, maps) = Load(objectPath, "(unattached)", rules);
        return new XdpSteeringProgram("(unattached)", 0, obj, progFd, maps, null, XdpAttachMode.Auto);
    }

    /// <summary>Steers owned frames of RX queue <paramref name="queueId"/> into the AF_XDP socket <paramref name="xskFd"/>.</summary>
    public void RegisterSocket(uint queueId, int xskFd)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(queueId, (uint)MaxQueues);
        lock (_gate)
        {
            ThrowIfDisposed();
            int rc = LibBpf.MapUpdateElem(_xsksMap, &queueId, &xskFd, LibBpf.BPF_ANY);
            if (rc < 0)
            {
                throw new InvalidOperationException($"Registering the AF_XDP socket (fd {xskFd}) for {InterfaceName} queue {queueId} failed: {Libc.StrError(-rc)}.");
            }
        }
    }

    /// <summary>Owned frames of queue <paramref name="queueId"/> go to the kernel again (counted as no-socket).</summary>
    public void UnregisterSocket(uint queueId)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(queueId, (uint)MaxQueues);
        lock (_gate)
        {
            ThrowIfDisposed();
            int rc = LibBpf.MapDeleteElem(_xsksMap, &queueId);
            if (rc < 0 && rc != -ENOENT)
            {
                throw new InvalidOperationException($"Unregistering the AF_XDP socket of {InterfaceName} queue {queueId} failed: {Libc.StrError(-rc)}.");
            }
        }
    }

    /// <summary>Replaces the rules: new entries are written first, then stale ones deleted, then the mode.</summary>
    /// <exception cref="ArgumentException">Invalid rules; the maps are unchanged.</exception>
    public void UpdateRules(SteeringRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        rules.Validate();
        lock (_gate)
        {
            ThrowIfDisposed();
            WriteRules(new Maps(_xsksMap, _cfgMap, _etherTypesMap, _v4Map, _v6Map, _udpPortsMap, _statsMap), rules);
        }
    }

    /// <summary>The program's counters summed over all CPUs.</summary>
    public SteeringCounters ReadCounters()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            int cpus = LibBpf.NumPossibleCpus();
            if (cpus <= 0)
            {
                throw new InvalidOperationException($"Counting possible CPUs failed: {Libc.StrError(-cpus)}.");
            }

            Span<ulong> sums = stackalloc ulong[SteeringCounters.Count];
            var perCpu = new ulong[cpus];
            fixed (ulong* values = perCpu)
            {
                for (uint key = 0; key < SteeringCounters.Count; key++)
                {
                    int rc = LibBpf.MapLookupElem(_statsMap, &key, values);
                    if (rc < 0)
                    {
                        throw new InvalidOperationException($"Reading the XDP counters of {InterfaceName} failed: {Libc.StrError(-rc)}.");
                    }

                    foreach (ulong value in perCpu)
                    {
                        sums[(int)key] += value;
                    }
                }
            }

            return new SteeringCounters(
                sums[(int)SteeringCounters.Redirect],
                sums[(int)SteeringCounters.PassNotOwned],
                sums[(int)SteeringCounters.PassNoSocket],
                sums[(int)SteeringCounters.PassMalformed]);
        }
    }

    /// <summary>Detaches the program (traffic goes to the kernel) and unloads it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _link?.Dispose();
            _object.Dispose();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static (BpfObjectHandle Object, int ProgramFd, Maps Maps) Load(string objectPath, string interfaceName, SteeringRules rules)
    {
        var obj = Open(objectPath, interfaceName);
        try
        {
            var maps = FindMaps(obj, objectPath);
            nint prog = LibBpf.ObjectFindProgramByName(obj.DangerousGetHandle(), ProgramName);
            if (prog == 0)
            {
                throw new InvalidOperationException($"'{objectPath}' has no program '{ProgramName}'.");
            }

            // Rules before any link: the first frame already sees them.
            WriteRules(maps, rules);
            return (obj, LibBpf.ProgramFd(prog), maps);
        }
        catch
        {
            obj.Dispose();
            throw;
        }
    }

    private static BpfObjectHandle Open(string objectPath, string interfaceName)
    {
        nint obj = LibBpf.ObjectOpenFile(objectPath, null);
        if (obj == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"Opening XDP program object '{objectPath}' for '{interfaceName}' failed: {Libc.StrError(errno)}.");
        }

        var handle = new BpfObjectHandle(obj);
        int rc = LibBpf.ObjectLoad(obj);
        if (rc < 0)
        {
            handle.Dispose();
            throw new InvalidOperationException(
                $"Loading XDP program object '{objectPath}' for '{interfaceName}' failed: {Libc.StrError(-rc)} (libbpf wrote the verifier log to stderr).");
        }

        return handle;
    }

    private static Maps FindMaps(BpfObjectHandle obj, string objectPath)
    {
        int Fd(string name)
        {
            nint map = LibBpf.ObjectFindMapByName(obj.DangerousGetHandle(), name);
            if (map == 0)
            {
                throw new InvalidOperationException($"'{objectPath}' has no map '{name}'.");
            }

            return LibBpf.MapFd(map);
        }

        return new Maps(Fd("xsks_map"), Fd("steer_cfg"), Fd("steer_ethertypes"), Fd("steer_v4"), Fd("steer_v6"), Fd("steer_udp_ports"), Fd("xdp_stats"));
    }

    private static (BpfLinkHandle Link, XdpAttachMode Obtained) AttachLink(int progFd, int ifindex, string interfaceName, XdpAttachMode mode)
    {
        if (mode is XdpAttachMode.Native or XdpAttachMode.Auto)
        {
            int fd = CreateLink(progFd, ifindex, LibBpf.XDP_FLAGS_DRV_MODE);
            if (fd >= 0)
            {
                return (new BpfLinkHandle(fd), XdpAttachMode.Native);
            }

            if (fd is -(int)Libc.EBUSY or -EEXIST || mode == XdpAttachMode.Native)
            {
                throw AttachFailed(ifindex, interfaceName, "native", -fd);
            }
        }

        int generic = CreateLink(progFd, ifindex, LibBpf.XDP_FLAGS_SKB_MODE);
        if (generic < 0)
        {
            throw AttachFailed(ifindex, interfaceName, mode == XdpAttachMode.Auto ? "native or generic" : "generic", -generic);
        }

        return (new BpfLinkHandle(generic), XdpAttachMode.Generic);
    }

    private static int CreateLink(int progFd, int ifindex, uint flags)
    {
        var opts = new LibBpf.BpfLinkCreateOpts { Size = (nuint)sizeof(LibBpf.BpfLinkCreateOpts), Flags = flags };
        return LibBpf.LinkCreate(progFd, ifindex, LibBpf.BPF_XDP, &opts);
    }

    private static InvalidOperationException AttachFailed(int ifindex, string interfaceName, string modeName, int errno)
    {
        uint existing = 0;
        if (LibBpf.XdpQueryId(ifindex, 0, &existing) == 0 && existing != 0)
        {
            return new InvalidOperationException(
                $"Cannot attach XDP to '{interfaceName}': it already has XDP program id {existing} ({Libc.StrError(errno)}). " +
                $"If another xdpnet is running on it, stop that one; if it is a leftover attached through netlink, remove it with 'ip link set dev {interfaceName} xdp off'.");
        }

        return new InvalidOperationException($"Attaching XDP in {modeName} mode to '{interfaceName}' failed: {Libc.StrError(errno)}.");
    }

    private static void WriteRules(Maps maps, SteeringRules rules)
    {
        // Ethertypes and ports are keyed in network order, as the program reads them from the frame.
        var etherTypes = new List<ushort>(rules.EtherTypes.Count);
        foreach (var e in rules.EtherTypes)
        {
            etherTypes.Add(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(e));
        }

        var ports = new List<ushort>(rules.UdpPorts.Count);
        foreach (var p in rules.UdpPorts)
        {
            ports.Add(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(p));
        }

        var v4 = new List<(LpmV4Key, byte)>();
        var v6 = new List<(LpmV6Key, byte)>();
        foreach (var prefix in rules.Prefixes)
        {
            var address = prefix.Network.BaseAddress;
            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                var key = new LpmV4Key { PrefixLength = (uint)prefix.Network.PrefixLength };
                address.TryWriteBytes(new Span<byte>(key.Address, 4), out _);
                v4.Add((key, (byte)prefix.Action));
            }
            else
            {
                var key = new LpmV6Key { PrefixLength = (uint)prefix.Network.PrefixLength };
                address.TryWriteBytes(new Span<byte>(key.Address, 16), out _);
                v6.Add((key, (byte)prefix.Action));
            }
        }

        const byte own = (byte)SteeringAction.Own;
        Sync(maps.EtherTypes, "steer_ethertypes", etherTypes.ConvertAll(k => (k, own)));
        Sync(maps.UdpPorts, "steer_udp_ports", ports.ConvertAll(k => (k, own)));
        Sync(maps.V4, "steer_v4", v4);
        Sync(maps.V6, "steer_v6", v6);

        var cfg = new SteerConfig
        {
            Mode = rules.PassAll ? SteerConfig.PassAll : rules.OwnAll ? SteerConfig.OwnAll : SteerConfig.Rules,
            Flags = rules.OwnArpRequests ? SteerConfig.FlagOwnArpRequests : 0,
        };
        uint zero = 0;
        Check(LibBpf.MapUpdateElem(maps.Cfg, &zero, &cfg, LibBpf.BPF_ANY), "steer_cfg");
    }

    /// <summary>Writes every wanted entry, then deletes the keys not wanted any more.</summary>
    private static void Sync<TKey>(int fd, string mapName, List<(TKey Key, byte Value)> wanted)
        where TKey : unmanaged
    {
        var keep = new HashSet<string>();
        foreach (var (key, value) in wanted)
        {
            var k = key;
            var v = value;
            Check(LibBpf.MapUpdateElem(fd, &k, &v, LibBpf.BPF_ANY), mapName);
            keep.Add(Convert.ToHexString(new ReadOnlySpan<byte>(&k, sizeof(TKey))));
        }

        // Collect first: deleting while walking restarts a hash map's iteration.
        var existing = new List<TKey>();
        TKey current = default, next = default;
        int rc = LibBpf.MapGetNextKey(fd, null, &next);
        while (rc == 0)
        {
            existing.Add(next);
            current = next;
            rc = LibBpf.MapGetNextKey(fd, &current, &next);
        }

        if (rc != -ENOENT)
        {
            Check(rc, mapName);
        }

        foreach (var key in existing)
        {
            var k = key;
            if (!keep.Contains(Convert.ToHexString(new ReadOnlySpan<byte>(&k, sizeof(TKey)))))
            {
                int del = LibBpf.MapDeleteElem(fd, &k);
                if (del < 0 && del != -ENOENT)
                {
                    Check(del, mapName);
                }
            }
        }
    }

    private static void Check(int rc, string mapName)
    {
        if (rc < 0)
        {
            throw new InvalidOperationException($"Updating BPF map '{mapName}' failed: {Libc.StrError(-rc)}.");
        }
    }

    private readonly record struct Maps(int Xsks, int Cfg, int EtherTypes, int V4, int V6, int UdpPorts, int Stats);

    /// Mirrors struct steer_cfg (bpf/xdp-redirect.bpf.c)
    [StructLayout(LayoutKind.Sequential)]
    private struct SteerConfig
    {
        public const uint PassAll = 0;
        public const uint OwnAll = 1;
        public const uint Rules = 2;
        public const uint FlagOwnArpRequests = 1; // STEER_FLAG_OWN_ARP_REQUESTS

        public uint Mode;
        public uint Flags;
    }

    /// Mirrors struct lpm_v4_key (bpf/xdp-redirect.bpf.c): prefix length, then the address in network order.
    [StructLayout(LayoutKind.Sequential)]
    private struct LpmV4Key
    {
        public uint PrefixLength;
        public fixed byte Address[4];
    }

    /// Mirrors struct lpm_v6_key (bpf/xdp-redirect.bpf.c)
    [StructLayout(LayoutKind.Sequential)]
    private struct LpmV6Key
    {
        public uint PrefixLength;
        public fixed byte Address[16];
    }

    private sealed class BpfObjectHandle(nint obj) : SafeHandle(obj, ownsHandle: true)
    {
        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle()
        {
            LibBpf.ObjectClose(handle); // closes the program and map fds
            return true;
        }
    }

    /// <summary>An XDP link fd; releasing it detaches, also when the owner is collected without Dispose.</summary>
    private sealed class BpfLinkHandle : SafeHandle
    {
        public BpfLinkHandle(int fd)
            : base(-1, ownsHandle: true) => SetHandle(fd);

        public override bool IsInvalid => handle < 0;

        protected override bool ReleaseHandle()
        {
            // Detach explicitly: a forked child may still hold a copy of the fd.
            LibBpf.LinkDetach((int)handle);
            return Libc.Close((int)handle) == 0;
        }
    }
}
