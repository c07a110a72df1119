using Xdp.Runtime.Interop;

namespace XdpNet.LoadGen.Bpf;

/// <summary>A loaded BPF object file (libbpf bpf_object); closing it unloads its programs and maps.</summary>
internal sealed unsafe class BpfObjectFile : IDisposable
{
    private nint _object;

    private BpfObjectFile(nint obj) => _object = obj;

    /// <summary>Opens and loads <c>bpf/&lt;name&gt;</c> beside the executable.</summary>
    public static BpfObjectFile Load(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "bpf", fileName);
        if (!File.Exists(path))
            throw new LoadGenException($"BPF object not found: {path}");

        nint obj = Interop.LibBpf.ObjectOpenFile(path, null);
        if (obj == 0)
            throw LoadGenException.FromErrno($"bpf_object__open_file({path})", System.Runtime.InteropServices.Marshal.GetLastSystemError());

        int rc = Interop.LibBpf.ObjectLoad(obj);
        if (rc < 0)
        {
            Interop.LibBpf.ObjectClose(obj);
            throw LoadGenException.FromErrno($"bpf_object__load({fileName}) (needs root / CAP_BPF)", -rc);
        }
        return new BpfObjectFile(obj);
    }

    public int ProgramFd(string name)
    {
        nint prog = Interop.LibBpf.ObjectFindProgramByName(_object, name);
        int fd = prog == 0 ? -1 : Interop.LibBpf.ProgramFd(prog);
        return fd >= 0 ? fd : throw new LoadGenException($"program '{name}' missing from the BPF object");
    }

    public int MapFd(string name)
    {
        nint map = Interop.LibBpf.ObjectFindMapByName(_object, name);
        int fd = map == 0 ? -1 : Interop.LibBpf.MapFd(map);
        return fd >= 0 ? fd : throw new LoadGenException($"map '{name}' missing from the BPF object");
    }

    public void Dispose()
    {
        if (_object != 0)
        {
            Interop.LibBpf.ObjectClose(_object);
            _object = 0;
        }
    }
}
