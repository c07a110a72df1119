using System.Text.Json;
using XdpNet.IntegrationTests.Forwarding;
using XdpNet.IntegrationTests.Support;
using Xunit.Abstractions;
using static XdpNet.IntegrationTests.Endpoints.EndpointTopology;

namespace XdpNet.IntegrationTests.Endpoints;

/// <summary>The host of <see cref="EndpointTopology"/>, created once for the class; each test leaves no endpoint behind.</summary>
public sealed class EndpointTopologyFixture : IDisposable
{
    private EndpointTopology? _topology;

    public EndpointTopology Topology => _topology ??= new EndpointTopology();

    public void Dispose() => _topology?.Dispose();
}

/// <summary>
/// The endpoint API of a running <c>xdpnet run</c> (control socket and CLI): a container's veth added live starts to
/// be served (routes, identity, policy) without a restart and stops being served on removal, with every frame of its
/// socket back in the pool; other containers' traffic does not notice; the state file brings it back after a restart.
/// </summary>
[Collection("netns")]
public sealed class EndpointApiTests(EndpointTopologyFixture fixture, ITestOutputHelper output) : IClassFixture<EndpointTopologyFixture>
{
    private EndpointTopology T => fixture.Topology;

    private JsonDocument Add(string body) => T.Request("endpoint add " + body);

    private void DeleteDyn()
    {
        using var answer = T.Request("""endpoint del {"name":"dyn"}""");
        Assert.True(answer.RootElement.GetProperty("ok").GetBoolean(), answer.RootElement.ToString() + T.Why);
    }

    private static bool Ok(JsonDocument d) => d.RootElement.GetProperty("ok").GetBoolean();

    private static string Error(JsonDocument d) => d.RootElement.TryGetProperty("error", out var e) ? e.GetString() ?? "" : "";

    private int Ports()
    {
        using var s = T.Stats();
        return s.RootElement.GetProperty("worker").GetProperty("ports").GetInt32();
    }

    private bool DynInStats()
    {
        using var s = T.Stats();
        foreach (var i in s.RootElement.GetProperty("interfaces").EnumerateArray())
        {
            if (i.GetProperty("name").GetString() == T.DynHostSide) return true;
        }
        return false;
    }

    [RootFact]
    public void AnEndpointAddedLiveIsServedWithItsPolicyAndItsRemovalGivesEveryFrameBack()
    {
        DeleteDyn();
        var freeBefore = T.FreeFramesAtRest();
        var portsBefore = Ports();
        Assert.False(T.DynSteered, "the dynamic container's interface is steered before it was added" + T.Why);
        Assert.False(T.Ping(One, DynV4), "one reaches dyn before it was added (kernel forwarding is off)");

        // | one 198.18.1.2 | -> h1 -> xdpnet -> hd (added live) -> | dyn 198.18.20.5 |
        using (var added = Add(T.DynEndpoint()))
        {
            Assert.True(Ok(added), added.RootElement.ToString() + T.Why);
            var e = added.RootElement.GetProperty("endpoint");
            Assert.Equal("dyn", e.GetProperty("name").GetString());
            Assert.Equal([DynV4 + "/32", DynV6 + "/128"], e.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        }
        Assert.True(T.DynSteered, "no XDP program on the added interface" + T.Why);
        Assert.Equal(portsBefore + 1, Ports());
        Assert.True(DynInStats(), "the added interface is not in the stats" + T.Why);
        Assert.True(PingEventually(T[One], DynV4), "one -> dyn (IPv4) through xdpnet" + T.Why);
        Assert.True(PingEventually(T[One], DynV6), "one -> dyn (IPv6) through xdpnet" + T.Why);
        Assert.True(PingEventually(T.Dyn, V4(One)), "dyn -> one (IPv4)" + T.Why);

        // UDP, counted: every datagram from one arrives in dyn.
        using (var flow = SequencedUdpFlow.Start(T[One], T.Dyn, DynV4, 5301, 500, TimeSpan.FromSeconds(10)))
        {
            Thread.Sleep(1000);
            flow.StopSendingAndDrain(TimeSpan.FromMilliseconds(500));
            Assert.True(flow.Sent > 0 && flow.Received == flow.Sent, $"UDP one -> dyn: sent {flow.Sent}, received {flow.Received}{T.Why}");
        }

        // The policy selects app=dyn: one is allowed, two is default-denied.
        Assert.False(T.Ping(Two, DynV4), "two -> dyn passed, but the policy allows only app=one into app=dyn" + T.Why);
        Assert.False(T.Ping(Two, DynV6), "two -> dyn (IPv6) passed against the policy" + T.Why);

        // An identical ADD again is fine; another endpoint under the name, or on the interface, is not.
        using (var again = Add(T.DynEndpoint())) Assert.True(Ok(again), again.RootElement.ToString());
        using (var other = Add(T.DynEndpoint().Replace(DynMac, "02:00:00:00:20:06", StringComparison.Ordinal)))
        {
            Assert.False(Ok(other));
            Assert.StartsWith("name:", Error(other), StringComparison.Ordinal);
        }
        using (var sameInterface = Add(T.DynEndpoint("dyn-2")))
        {
            Assert.False(Ok(sameInterface));
            Assert.StartsWith("interface:", Error(sameInterface), StringComparison.Ordinal);
        }
        using (var list = T.Request("endpoint list"))
        {
            Assert.Equal(["dyn"], list.RootElement.GetProperty("endpoints").EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        }
        using (var get = T.Request("""endpoint get {"name":"dyn"}""")) Assert.Equal(T.DynHostSide, get.RootElement.GetProperty("endpoint").GetProperty("interface").GetString());

        DeleteDyn();
        Assert.False(T.DynSteered, "the removed interface still has an XDP program" + T.Why);
        Assert.False(DynInStats(), "the removed interface is still in the stats" + T.Why);
        Assert.Equal(portsBefore, Ports());
        Assert.False(T.Ping(One, DynV4), "one still reaches dyn after its removal" + T.Why);
        Assert.Equal(freeBefore, T.FreeFramesAtRest());
        Assert.Contains("frames returned to the pool", T.Xdp.Output, StringComparison.Ordinal);
        using (var absent = T.Request("""endpoint del {"name":"dyn"}"""))
        {
            Assert.True(Ok(absent));
            Assert.True(absent.RootElement.GetProperty("absent").GetBoolean());
        }
        using (var gone = T.Request("""endpoint get {"name":"dyn"}""")) Assert.False(Ok(gone));
        Assert.True(T.Ping(One, V4(Two)), "one -> two after all that" + T.Why);
    }

    [RootFact]
    public void BadRequestsAreRefusedByFieldAndChangeNothing()
    {
        DeleteDyn();
        var ports = Ports();
        string[] lines =
        [
            "endpoint add {not json",
            "endpoint add []",
            "endpoint frobnicate {}",
            """endpoint add {"name":"x","interface":"nosuchif0","mac":"02:00:00:00:00:09","addresses":["198.18.30.1/32"]}""",
            "endpoint add " + T.DynEndpoint().Replace(DynV4 + "/32", "198.18.20.0/24", StringComparison.Ordinal),
            "endpoint add " + T.DynEndpoint().Replace("}", ""","vni":42}""", StringComparison.Ordinal),
            "endpoint add " + T.DynEndpoint().Replace(DynV4 + "/32", V4(One) + "/32", StringComparison.Ordinal),
            """endpoint get {"name":"nobody"}""",
        ];
        string[] keys = ["request:", "request:", "request:", "interface:", "addresses[0]:", "vni:", "addresses[0]:", "name:"];
        for (var i = 0; i < lines.Length; i++)
        {
            using var answer = T.Request(lines[i]);
            Assert.False(Ok(answer), $"{lines[i]} was accepted");
            Assert.StartsWith(keys[i], Error(answer), StringComparison.Ordinal);
        }
        Assert.Equal(ports, Ports());
        Assert.False(T.DynSteered);
        using var list = T.Request("endpoint list");
        Assert.Empty(list.RootElement.GetProperty("endpoints").EnumerateArray());
    }

    [RootFact]
    public void TwentyAddsAndRemovalsLoseNoneOfTheOtherContainersTraffic()
    {
        DeleteDyn();
        var freeBefore = T.FreeFramesAtRest();
        // | one | -> xdpnet -> | two |, 1000 datagrams a second, counted by sequence number, while dyn comes and goes.
        using var flow = SequencedUdpFlow.Start(T[One], T[Two], V4(Two), 5302, 1000, TimeSpan.FromSeconds(120));
        Thread.Sleep(500);
        var adds = new List<double>();
        var deletes = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using (var added = Add(T.DynEndpoint())) Assert.True(Ok(added), $"add {i}: {added.RootElement}{T.Why}");
            adds.Add(clock.Elapsed.TotalMilliseconds);
            if (i % 5 == 0) Assert.True(PingEventually(T[One], DynV4), $"cycle {i}: one -> dyn{T.Why}");
            clock.Restart();
            DeleteDyn();
            deletes.Add(clock.Elapsed.TotalMilliseconds);
        }
        adds.Sort();
        deletes.Sort();
        // A figure, not an assertion: how long an endpoint request takes (reload, attach/bind or drain, one worker update).
        output.WriteLine($"endpoint add: median {adds[10]:F0} ms, max {adds[^1]:F0} ms; endpoint del: median {deletes[10]:F0} ms, max {deletes[^1]:F0} ms");
        Thread.Sleep(500);
        flow.StopSendingAndDrain(TimeSpan.FromSeconds(1));
        var lost = flow.Lost();
        Assert.True(lost.Count == 0 && flow.Received == flow.Sent,
            $"one -> two lost {flow.Sent - flow.Received} of {flow.Sent} during 20 add/del cycles, first at {string.Join(", ", lost.Take(5))}{T.Why}");
        Assert.Equal(freeBefore, T.FreeFramesAtRest());
    }

    [RootFact]
    public void ARestartServesTheSavedEndpointsAgain()
    {
        DeleteDyn();
        using (var added = Add(T.DynEndpoint())) Assert.True(Ok(added), added.RootElement.ToString() + T.Why);
        Assert.True(File.Exists(Path.Combine(T.StateDirectory, "endpoints.json")));
        T.Stop();
        T.Start();
        try
        {
            using (var list = T.Request("endpoint list"))
            {
                Assert.Equal(["dyn"], list.RootElement.GetProperty("endpoints").EnumerateArray().Select(e => e.GetProperty("name").GetString()));
            }
            Assert.True(T.DynSteered, "the saved endpoint's interface is not served after the restart" + T.Why);
            Assert.True(PingEventually(T[One], DynV4), "one -> dyn after the restart" + T.Why);
            Assert.False(T.Ping(Two, DynV4), "the policy no longer applies to the saved endpoint" + T.Why);
        }
        finally
        {
            DeleteDyn();
        }
    }

    [RootFact]
    public void TheCliWrapsTheSocketWithTheSameChecks()
    {
        DeleteDyn();
        var bad = T.Cli("add", "--name", "dyn", "--interface", T.DynHostSide, "--mac", DynMac, "--address", "198.18.20.0/24");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("addresses[0]:", bad.Output, StringComparison.Ordinal);

        var add = T.Cli("add", "--name", "dyn", "--interface", T.DynHostSide, "--mac", DynMac, "--address", DynV4, "--address", DynV6 + "/128", "--label", "app=dyn");
        Assert.True(add.ExitCode == 0, add.Output + T.Why);
        Assert.True(add.Answer!.RootElement.GetProperty("ok").GetBoolean());
        var get = T.Cli("get", "--name", "dyn");
        Assert.Equal(0, get.ExitCode);
        Assert.Equal(DynV4 + "/32", get.Answer!.RootElement.GetProperty("endpoint").GetProperty("addresses")[0].GetString());
        Assert.True(PingEventually(T[One], DynV4), "one -> dyn added by the CLI" + T.Why);
        var del = T.Cli("del", "--name", "dyn");
        Assert.Equal(0, del.ExitCode);
        var again = T.Cli("del", "--name", "dyn");
        Assert.Equal(0, again.ExitCode);
        Assert.True(again.Answer!.RootElement.GetProperty("absent").GetBoolean());
        var missing = T.Cli("get", "--name", "dyn");
        Assert.Equal(1, missing.ExitCode);
    }

    [RootFact]
    public void ALocalInterfaceAddedToTheFileIsServedLiveAndRemovedLive()
    {
        DeleteDyn();
        var freeBefore = T.FreeFramesAtRest();
        try
        {
            // Listed first in the file: the interfaces already served keep their indexes all the same.
            Assert.True(T.ReloadWith(withDyn: true), "reload refused" + T.Why);
            Assert.True(T.DynSteered, "the interface added to the file is not served" + T.Why);
            Assert.True(PingEventually(T[One], DynV4), "one -> dyn (file endpoint, route resolved by the kernel)" + T.Why);
            Assert.False(T.Ping(Two, DynV4), "the policy does not apply to the file endpoint" + T.Why);
            Assert.True(T.Ping(One, V4(Two)), "one -> two while dyn is served" + T.Why);
            Assert.DoesNotContain("takes effect after a restart", T.Xdp.Output, StringComparison.Ordinal);
        }
        finally
        {
            Assert.True(T.ReloadWith(withDyn: false), "reload refused" + T.Why);
        }
        Assert.False(T.DynSteered, "the interface removed from the file is still served" + T.Why);
        Assert.True(T.Ping(One, V4(Two)), "one -> two after dyn went" + T.Why);
        Assert.Equal(freeBefore, T.FreeFramesAtRest());
    }
}
