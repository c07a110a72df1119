using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Xdp.Runtime.Interop;
using static Xdp.Runtime.Interop.Interop;

namespace Xdp.Runtime.Tests.Interop;

/// <summary>
/// Compiles a C program against the real headers (linux/if_xdp.h, sys/socket.h, sys/mman.h, poll.h, errno.h,
/// bpf/bpf.h, linux/if_link.h) and compares every struct size, field offset and constant with the C# mirrors.
/// Constants are found by reflection, so a constant added to IfXdp, Interop.Libc or Interop.LibBpf is
/// checked without touching this test.
/// </summary>
public sealed class InteropLayoutTests
{
    /// <summary>
    /// Constants the build machine's headers may lack: Debian 12 ships 6.1 UAPI headers, and
    /// XDP_MAX_TX_SKB_BUDGET arrived in Linux 6.17. Only its comparison is skipped when the header lacks it.
    /// </summary>
    private static readonly HashSet<string> NewerThanHeaders = ["XDP_MAX_TX_SKB_BUDGET"];

    /// <summary>Enumerators rather than macros (#ifdef cannot see them), checked unguarded.</summary>
    private static readonly HashSet<string> EnumConstants = ["BPF_ANY", "BPF_NOEXIST", "BPF_EXIST", "BPF_F_LOCK", "BPF_XDP"];

    private static readonly Lazy<Dictionary<string, long>> Native = new(CompileAndRun);

    public static string? FindGcc()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            string candidate = Path.Combine(dir, "gcc");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    [GccFact]
    public void Sockaddr_xdp_matches() => AssertStruct<SockaddrXdp>(
        "sockaddr_xdp",
        ("sxdp_family", nameof(SockaddrXdp.Family)),
        ("sxdp_flags", nameof(SockaddrXdp.Flags)),
        ("sxdp_ifindex", nameof(SockaddrXdp.Ifindex)),
        ("sxdp_queue_id", nameof(SockaddrXdp.QueueId)),
        ("sxdp_shared_umem_fd", nameof(SockaddrXdp.SharedUmemFd)));

    [GccFact]
    public void Xdp_ring_offset_matches() => AssertStruct<XdpRingOffset>(
        "xdp_ring_offset",
        ("producer", nameof(XdpRingOffset.Producer)),
        ("consumer", nameof(XdpRingOffset.Consumer)),
        ("desc", nameof(XdpRingOffset.Desc)),
        ("flags", nameof(XdpRingOffset.Flags)));

    [GccFact]
    public void Xdp_mmap_offsets_matches() => AssertStruct<XdpMmapOffsets>(
        "xdp_mmap_offsets",
        ("rx", nameof(XdpMmapOffsets.Rx)),
        ("tx", nameof(XdpMmapOffsets.Tx)),
        ("fr", nameof(XdpMmapOffsets.Fr)),
        ("cr", nameof(XdpMmapOffsets.Cr)));

    /// <summary>
    /// The mirror stops at flags (6.1 headers have no tx_metadata_len). Its size is offsetof(flags) + 4 rounded
    /// up to the 8-byte alignment of addr: 32, which is also the size of the 6.8+ struct, whose
    /// tx_metadata_len occupies exactly that padding (left zero: no TX metadata). So sizeof is compared too.
    /// </summary>
    [GccFact]
    public void Xdp_umem_reg_matches_up_to_flags() => AssertStruct<XdpUmemReg>(
        "xdp_umem_reg",
        ("addr", nameof(XdpUmemReg.Addr)),
        ("len", nameof(XdpUmemReg.Len)),
        ("chunk_size", nameof(XdpUmemReg.ChunkSize)),
        ("headroom", nameof(XdpUmemReg.Headroom)),
        ("flags", nameof(XdpUmemReg.Flags)));

    [GccFact]
    public void Xdp_statistics_matches() => AssertStruct<XdpStatistics>(
        "xdp_statistics",
        ("rx_dropped", nameof(XdpStatistics.RxDropped)),
        ("rx_invalid_descs", nameof(XdpStatistics.RxInvalidDescs)),
        ("tx_invalid_descs", nameof(XdpStatistics.TxInvalidDescs)),
        ("rx_ring_full", nameof(XdpStatistics.RxRingFull)),
        ("rx_fill_ring_empty_descs", nameof(XdpStatistics.RxFillRingEmptyDescs)),
        ("tx_ring_empty_descs", nameof(XdpStatistics.TxRingEmptyDescs)));

    [GccFact]
    public void Xdp_options_matches() => AssertStruct<XdpOptions>("xdp_options", ("flags", nameof(XdpOptions.Flags)));

    [GccFact]
    public void Xdp_desc_matches() => AssertStruct<XdpDesc>(
        "xdp_desc",
        ("addr", nameof(XdpDesc.Addr)),
        ("len", nameof(XdpDesc.Len)),
        ("options", nameof(XdpDesc.Options)));

    [GccFact]
    public void Pollfd_matches() => AssertStruct<Libc.PollFd>(
        "pollfd",
        ("fd", nameof(Libc.PollFd.Fd)),
        ("events", nameof(Libc.PollFd.Events)),
        ("revents", nameof(Libc.PollFd.REvents)));

    /// <summary>
    /// libbpf reads only opts->sz bytes: the mirror holds sz and flags (plus the padding to the next
    /// pointer), so flags must sit where libbpf expects it and the size must not pass the real struct's.
    /// </summary>
    [GccFact]
    public void Bpf_link_create_opts_head_matches()
    {
        var native = Native.Value;
        Assert.Equal(native["offsetof bpf_link_create_opts.sz"], (long)Marshal.OffsetOf<LibBpf.BpfLinkCreateOpts>(nameof(LibBpf.BpfLinkCreateOpts.Size)));
        Assert.Equal(native["offsetof bpf_link_create_opts.flags"], (long)Marshal.OffsetOf<LibBpf.BpfLinkCreateOpts>(nameof(LibBpf.BpfLinkCreateOpts.Flags)));
        Assert.Equal(native["offsetof bpf_link_create_opts.iter_info"], Unsafe.SizeOf<LibBpf.BpfLinkCreateOpts>());
    }

    [GccFact]
    public void Map_failed_matches() => Assert.Equal(Native.Value["const MAP_FAILED"], (long)Libc.MAP_FAILED);

    [GccFact]
    public void Every_constant_matches_the_headers()
    {
        var native = Native.Value;
        var mismatches = new List<string>();
        foreach (var (name, value) in Constants())
        {
            if (native.TryGetValue("const " + name, out long expected))
            {
                if (expected != value)
                {
                    mismatches.Add($"{name}: C# {value}, C {expected}");
                }
            }
            else if (!NewerThanHeaders.Contains(name))
            {
                mismatches.Add($"{name}: not defined by the headers");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));
        Assert.True(native.Count(k => k.Key.StartsWith("const ", StringComparison.Ordinal)) >= 40, "too few constants compared");
    }

    private static void AssertStruct<T>(string cName, params (string CField, string CsField)[] fields)
        where T : struct
    {
        var native = Native.Value;
        Assert.Equal(native[$"sizeof {cName}"], Unsafe.SizeOf<T>());
        foreach (var (cField, csField) in fields)
        {
            Assert.True(
                native[$"offsetof {cName}.{cField}"] == (long)Marshal.OffsetOf<T>(csField),
                $"{cName}.{cField}: C offset {native[$"offsetof {cName}.{cField}"]}, C# {typeof(T).Name}.{csField} at {Marshal.OffsetOf<T>(csField)}");
        }
    }

    /// <summary>Every integral const of IfXdp, Interop.Libc and Interop.LibBpf.</summary>
    private static IEnumerable<(string Name, long Value)> Constants()
    {
        foreach (var type in new[] { typeof(IfXdp), typeof(Libc), typeof(LibBpf) })
        {
            foreach (var field in type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            {
                if (field.IsLiteral && field.GetRawConstantValue() is { } raw && raw is not string)
                {
                    yield return (field.Name, raw is ulong u ? unchecked((long)u) : Convert.ToInt64(raw, System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }
    }

    private static string Source()
    {
        var c = new StringBuilder("""
            #define _GNU_SOURCE
            #include <stddef.h>
            #include <stdio.h>
            #include <errno.h>
            #include <poll.h>
            #include <sched.h>
            #include <unistd.h>
            #include <sys/mman.h>
            #include <sys/socket.h>
            #include <net/if.h>
            #include <asm-generic/socket.h>
            #include <linux/if_xdp.h>
            #include <linux/if_link.h>
            #include <linux/bpf.h>
            #include <bpf/bpf.h>
            #define SIZE(s) printf("sizeof " #s " %zu\n", sizeof(struct s))
            #define OFF(s, f) printf("offsetof " #s "." #f " %zu\n", offsetof(struct s, f))
            int main(void)
            {
            	printf("const MAP_FAILED %lld\n", (long long)(long)MAP_FAILED);

            """);
        void Struct(string name, params string[] fields)
        {
            c.Append("\tSIZE(").Append(name).Append(");\n");
            foreach (var f in fields)
            {
                c.Append("\tOFF(").Append(name).Append(", ").Append(f).Append(");\n");
            }
        }

        Struct("sockaddr_xdp", "sxdp_family", "sxdp_flags", "sxdp_ifindex", "sxdp_queue_id", "sxdp_shared_umem_fd");
        Struct("xdp_ring_offset", "producer", "consumer", "desc", "flags");
        Struct("xdp_mmap_offsets", "rx", "tx", "fr", "cr");
        Struct("xdp_umem_reg", "addr", "len", "chunk_size", "headroom", "flags");
        Struct("xdp_statistics", "rx_dropped", "rx_invalid_descs", "tx_invalid_descs", "rx_ring_full", "rx_fill_ring_empty_descs", "tx_ring_empty_descs");
        Struct("xdp_options", "flags");
        Struct("xdp_desc", "addr", "len", "options");
        Struct("pollfd", "fd", "events", "revents");
        Struct("bpf_link_create_opts", "sz", "flags", "iter_info");
        foreach (var (name, _) in Constants())
        {
            string print = $"\tprintf(\"const {name} %lld\\n\", (long long)({name}));\n";
            c.Append(EnumConstants.Contains(name) ? print : $"#ifdef {name}\n{print}#endif\n");
        }

        c.Append("\treturn 0;\n}\n");
        return c.ToString();
    }

    private static Dictionary<string, long> CompileAndRun()
    {
        string dir = Directory.CreateTempSubdirectory("xdpnet-layout-").FullName;
        try
        {
            string source = Path.Combine(dir, "layout.c");
            string binary = Path.Combine(dir, "layout");
            File.WriteAllText(source, Source());
            Run(FindGcc()!, "-Wall", "-Werror", "-o", binary, source);
            var result = new Dictionary<string, long>();
            foreach (var line in Run(binary).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int space = line.LastIndexOf(' ');
                result[line[..space]] = long.Parse(line[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }

            return result;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            throw new TimeoutException($"{file} did not finish in 60 s");
        }

        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{stderr}");
        return stdout.Result;
    }
}
