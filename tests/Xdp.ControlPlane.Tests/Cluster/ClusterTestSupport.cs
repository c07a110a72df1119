using System.Diagnostics;
using System.Text;
using Xdp.ControlPlane.Cluster;
using Xdp.ControlPlane.Etcd;

namespace Xdp.ControlPlane.Tests.Cluster;

internal static class ClusterTestSupport
{
    public static readonly ClusterKeys Keys = new();

    /// <summary>Every entry of a state as sorted text lines, so two states compare by content.</summary>
    public static IReadOnlyList<string> Render(ClusterState state)
    {
        var lines = new List<string>();
        foreach (var (name, e) in state.Endpoints)
        {
            lines.Add($"endpoint {name} [{string.Join(",", e.Addresses)}] host={e.Host} if={e.Interface} [{string.Join(",", e.Labels)}]");
        }

        foreach (var (sir, table) in state.Mappings)
        {
            foreach (var (id, m) in table)
            {
                lines.Add($"mapping {sir} {id} -> {m.Locator} {m.ChecksumMode}");
            }
        }

        foreach (var (vni, table) in state.Fdb)
        {
            foreach (var (mac, f) in table)
            {
                lines.Add($"fdb {vni} {mac} -> {f.Vtep}");
            }
        }

        foreach (var (vni, set) in state.Flood)
        {
            foreach (var vtep in set)
            {
                lines.Add($"flood {vni} {vtep}");
            }
        }

        foreach (var (name, p) in state.Policies)
        {
            lines.Add($"policy {name} {p.Text.Length}");
        }

        foreach (var (node, h) in state.Hosts)
        {
            lines.Add($"host {node} {h.Vtep} [{string.Join(",", h.Locators)}]");
        }

        foreach (var (key, problem) in state.Rejected)
        {
            lines.Add($"rejected {key}: {problem}");
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    public static string Mapping(string locator) => $"{{\"locator\":\"{locator}\"}}";

    /// <summary>Polls until <paramref name="condition"/> holds or <paramref name="timeout"/> passes.</summary>
    public static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"not reached within {timeout.TotalSeconds} s: {describe()}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Puts <paramref name="count"/> mappings (identifiers 1..count) in transactions of 128 (etcd's default --max-txn-ops).</summary>
    public static async Task PutMappings(EtcdClient client, string sir, int count, string locator)
    {
        byte[] value = Encoding.UTF8.GetBytes(Mapping(locator));
        for (int start = 1; start <= count; start += 128)
        {
            var txn = new EtcdTxn();
            for (int i = start; i < start + 128 && i <= count; i++)
            {
                txn.ThenPut(Keys.Mapping(sir, Identifier(i)), value);
            }

            await client.TxnAsync(txn);
        }
    }

    /// <summary>
    /// Writes a key outside the prefix until a write succeeds: after a member is killed the others may need an
    /// election (seconds on a loaded machine) before they accept writes, and a write that timed out is not retried.
    /// </summary>
    public static async Task WaitForWritableCluster(EtcdClient writer)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await writer.PutAsync("/probe/writable", "x");
                return;
            }
            catch (EtcdUnavailableException) when (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
        }
    }

    public static string Identifier(int i) => $"0:0:{(ushort)(i >> 16):x}:{(ushort)i:x}";
}
