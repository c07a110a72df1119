using System.Runtime.InteropServices;

using Libc = Xdp.Runtime.Interop.Interop.Libc;

namespace Xdp.Runtime.Xsk;

/// <summary>An mmap'd region released with munmap (as dotnet/runtime's BoundedMemory.Unix does).</summary>
public sealed unsafe class MappedRegion : SafeHandle
{
    private MappedRegion(nint address, nuint length) : base(0, ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
    }

    public nuint Length { get; }
    public byte* Pointer => (byte*)handle;
    public override bool IsInvalid => handle == 0 || handle == -1;

    /// <summary>Anonymous private memory, populated up front so the first packets do not fault pages in.</summary>
    public static MappedRegion Anonymous(nuint length)
    {
        var p = Libc.Mmap(null, length, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_POPULATE, -1, 0);
        if ((nint)p == -1) throw XskException.FromErrno("mmap UMEM", Marshal.GetLastPInvokeError());
        return new MappedRegion((nint)p, length);
    }

    /// <summary>A ring shared with the kernel, mapped from an AF_XDP socket at its page offset.</summary>
    public static MappedRegion Ring(int fd, nuint length, long pageOffset, string what)
    {
        var p = Libc.Mmap(null, length, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_SHARED | Libc.MAP_POPULATE, fd, pageOffset);
        if ((nint)p == -1) throw XskException.FromErrno($"mmap {what} ring", Marshal.GetLastPInvokeError());
        return new MappedRegion((nint)p, length);
    }

    protected override bool ReleaseHandle() => Libc.Munmap((void*)handle, Length) == 0;
}
