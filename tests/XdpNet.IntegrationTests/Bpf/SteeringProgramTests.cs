using Xdp.Runtime.Bpf;
using XdpNet.IntegrationTests.Support;

namespace XdpNet.IntegrationTests.Bpf;

/// <summary>
/// The steering program on a real veth: | Right 198.18.0.2 | == veth == | Left 198.18.0.1 [XDP] |.
/// No AF_XDP socket is bound, so owned frames must still reach the kernel (XDP_PASS fallback).
/// </summary>
public sealed class SteeringProgramTests : IDisposable
{
    private const ushort VxlanPort = 4789;
    private readonly VethTopology _topology = VethTopology.Create("bpf");

    public void Dispose() => _topology.Dispose();

    [RootFact]
    public void Native_attach_without_socket_falls_back_to_kernel_and_counts()
    {
        using var program = _topology.Left.Invoke(() =>
            XdpSteeringProgram.Attach(_topology.LeftInterface, XdpAttachMode.Native, new SteeringRules { OwnAll = true }));

        Assert.Equal(XdpAttachMode.Native, program.ObtainedMode);
        Assert.Equal("xdp", AttachedMode());

        // Everything owned, but queue 0 has no socket: the kernel still answers.
        Assert.True(_topology.PingFromRight(VethTopology.LeftIpv4), "ping over owned-but-unbound queue");
        var owned = program.ReadCounters();
        Assert.True(owned.PassedNoSocket >= 3, owned.ToString());
        Assert.Equal(0UL, owned.Redirected);
    }

    [RootFact]
    public void Rules_udp_port_beats_host_pass_prefix_which_beats_owned_prefix()
    {
        using var program = _topology.Left.Invoke(() =>
            XdpSteeringProgram.Attach(_topology.LeftInterface, XdpAttachMode.Auto, new SteeringRules { PassAll = true }));
        Assert.True(_topology.PingFromRight(VethTopology.LeftIpv4));
        var passAll = program.ReadCounters();
        Assert.True(passAll.PassedNotOwned >= 3, passAll.ToString());
        Assert.Equal(0UL, passAll.PassedNoSocket);

        program.UpdateRules(new SteeringRules
        {
            Prefixes =
            [
                SteeringPrefix.Own("198.18.0.0/15"),
                SteeringPrefix.Pass(VethTopology.LeftIpv4 + "/32"),
                SteeringPrefix.Own("2001:db8::/32"),
                SteeringPrefix.Pass(VethTopology.LeftIpv6 + "/128"),
            ],
            UdpPorts = [VxlanPort],
        });

        // | Right -> Left 198.18.0.1 | ICMP echo |: the host's /32 pass wins over the owned /15.
        var before = program.ReadCounters();
        Assert.True(_topology.PingFromRight(VethTopology.LeftIpv4));
        Assert.True(_topology.PingFromRight(VethTopology.LeftIpv6));
        var afterPing = program.ReadCounters();
        Assert.Equal(before.PassedNoSocket, afterPing.PassedNoSocket);
        Assert.True(afterPing.PassedNotOwned >= before.PassedNotOwned + 6, afterPing.ToString());

        // | Right -> Left 198.18.0.1 | UDP -> 4789 |: the VXLAN port is owned although the /32 says pass.
        SendUdpFromRight(VethTopology.LeftIpv4, VxlanPort);
        SendUdpFromRight(VethTopology.LeftIpv6, VxlanPort);
        var afterUdp = program.ReadCounters();
        Assert.Equal(afterPing.PassedNoSocket + 2, afterUdp.PassedNoSocket);

        // Another port to the host's address stays the kernel's.
        SendUdpFromRight(VethTopology.LeftIpv4, 4790);
        Assert.Equal(afterUdp.PassedNoSocket, program.ReadCounters().PassedNoSocket);

        // Clearing the rules removes the stale entries: the VXLAN port is no longer owned.
        program.UpdateRules(new SteeringRules());
        SendUdpFromRight(VethTopology.LeftIpv4, VxlanPort);
        Assert.Equal(afterUdp.PassedNoSocket, program.ReadCounters().PassedNoSocket);
    }

    [RootFact]
    public void Dispose_detaches_and_a_second_attach_succeeds()
    {
        var first = _topology.Left.Invoke(() =>
            XdpSteeringProgram.Attach(_topology.LeftInterface, XdpAttachMode.Native, new SteeringRules()));
        Assert.Equal("xdp", AttachedMode());
        first.Dispose();
        Assert.Null(AttachedMode());
        Assert.Throws<ObjectDisposedException>(() => first.ReadCounters());

        using var second = _topology.Left.Invoke(() =>
            XdpSteeringProgram.Attach(_topology.LeftInterface, XdpAttachMode.Generic, new SteeringRules()));
        Assert.Equal(XdpAttachMode.Generic, second.ObtainedMode);
        Assert.Equal("xdpgeneric", AttachedMode());
        Assert.True(_topology.PingFromRight(VethTopology.LeftIpv4));
    }

    [RootFact]
    public void Link_is_released_when_the_holding_process_is_killed()
    {
        // A separate process attaches the same object through a BPF link (libbpf via ctypes) and waits.
        string objectPath = XdpSteeringProgram.DefaultObjectPath;
        using var holder = StartLinkHolder(objectPath);
        Assert.Equal("xdpgeneric", AttachedMode());

        // While it lives, a second attach is refused with a message naming the interface.
        var refused = Assert.Throws<InvalidOperationException>(() => _topology.Left.Invoke(() =>
            XdpSteeringProgram.Attach(_topology.LeftInterface, XdpAttachMode.Generic, new SteeringRules())));
        Assert.Contains(_topology.LeftInterface, refused.Message, StringComparison.Ordinal);

        holder.Kill(entireProcessTree: true);
        holder.WaitForExit();
        WaitUntil(() => AttachedMode() is null, TimeSpan.FromSeconds(5));

        using var restarted = _topology.Left.Invoke(() =>
            XdpSteeringProgram.Attach(_topology.LeftInterface, XdpAttachMode.Native, new SteeringRules()));
        Assert.Equal("xdp", AttachedMode());
    }

    [RootFact]
    public void Netlink_attached_program_is_reported_with_the_fix()
    {
        _topology.Left.ExecChecked("ip", "link", "set", "dev", _topology.LeftInterface, "xdp", "obj", XdpSteeringProgram.DefaultObjectPath, "sec", "xdp");

        var e = Assert.Throws<InvalidOperationException>(() => _topology.Left.Invoke(() =>
            XdpSteeringProgram.Attach(_topology.LeftInterface, XdpAttachMode.Auto, new SteeringRules())));
        Assert.Contains(_topology.LeftInterface, e.Message, StringComparison.Ordinal);
        Assert.Contains($"ip link set dev {_topology.LeftInterface} xdp off", e.Message, StringComparison.Ordinal);
    }

    [RootFact]
    public void Unknown_interface_is_refused_by_name()
    {
        var e = Assert.Throws<ArgumentException>(() => _topology.Left.Invoke(() =>
            XdpSteeringProgram.Attach("xtnosuchif0", XdpAttachMode.Auto, new SteeringRules())));
        Assert.Contains("xtnosuchif0", e.Message, StringComparison.Ordinal);
    }

    /// <summary>"xdp", "xdpgeneric" or "xdpoffload" as <c>ip link</c> shows the attachment, null when none.</summary>
    private string? AttachedMode()
    {
        string output = _topology.Left.ExecChecked("ip", "link", "show", "dev", _topology.LeftInterface).StdOut;
        foreach (var word in output.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (word is "xdp" or "xdpgeneric" or "xdpoffload" or "xdpmulti")
            {
                return word;
            }
        }

        return null;
    }

    private void SendUdpFromRight(string address, ushort port)
    {
        string family = address.Contains(':', StringComparison.Ordinal) ? "AF_INET6" : "AF_INET";
        _topology.Right.ExecChecked(
            "python3",
            "-c",
            $"import socket; s = socket.socket(socket.{family}, socket.SOCK_DGRAM); s.sendto(b'xdpnet', ('{address}', {port}))");

        // The frame crosses the veth synchronously, but give the counter a moment on a loaded machine.
        Thread.Sleep(100);
    }

    private System.Diagnostics.Process StartLinkHolder(string objectPath)
    {
        const string script = """
            import ctypes, socket, sys, time
            bpf = ctypes.CDLL("libbpf.so.1", use_errno=True)
            bpf.bpf_object__open_file.restype = ctypes.c_void_p
            bpf.bpf_object__open_file.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
            bpf.bpf_object__load.argtypes = [ctypes.c_void_p]
            bpf.bpf_object__find_program_by_name.restype = ctypes.c_void_p
            bpf.bpf_object__find_program_by_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            bpf.bpf_program__fd.argtypes = [ctypes.c_void_p]
            obj = bpf.bpf_object__open_file(sys.argv[1].encode(), None)
            assert obj and bpf.bpf_object__load(obj) == 0
            prog = bpf.bpf_program__fd(bpf.bpf_object__find_program_by_name(obj, b"xdp_redirect_prog"))
            opts = (ctypes.c_uint64 * 2)(16, 2)  # bpf_link_create_opts: sz = 16, flags = XDP_FLAGS_SKB_MODE
            link = bpf.bpf_link_create(prog, socket.if_nametoindex(sys.argv[2]), 37, opts)  # BPF_XDP
            print("READY" if link >= 0 else f"FAILED {link}", flush=True)
            time.sleep(120)
            """;
        var info = new System.Diagnostics.ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["netns", "exec", _topology.Left.Name, "python3", "-c", script, objectPath, _topology.LeftInterface])
        {
            info.ArgumentList.Add(argument);
        }

        var process = System.Diagnostics.Process.Start(info)!;
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(20)) || line.Result != "READY")
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The link holder did not attach: {(line.IsCompleted ? line.Result : "timeout")}");
        }

        return process;
    }

    private static void WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            Thread.Sleep(50);
        }
    }
}
