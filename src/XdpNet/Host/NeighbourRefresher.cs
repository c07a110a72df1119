using Xdp.Runtime.Routing;

namespace XdpNet.Host;

/// <summary>
/// Keeps next-hop MACs current off the hot path: asks the kernel to resolve what the worker missed and the
/// gateways still unknown, re-reads the kernel's neighbour table, and publishes new forwarding tables (one
/// reference swap) when it changed.
/// </summary>
public sealed class NeighbourRefresher
{
    private readonly NeighbourResolver _resolver;
    private readonly Action<ForwardingTables> _publish;
    private readonly NeighbourMiss[] _misses = new NeighbourMiss[64];
    private ForwardingTables _tables;
    private string _fingerprint;
    private int _ticks;
    private int _followUpReads;

    public NeighbourRefresher(NeighbourResolver resolver, ForwardingTables tables, Action<ForwardingTables> publish)
    {
        _resolver = resolver;
        _tables = tables;
        _publish = publish;
        _fingerprint = Fingerprint(tables.Neighbours);
    }

    public ForwardingTables Current => _tables;

    /// <summary>Continues from freshly built tables (a configuration reload); the next tick re-reads the neighbours.</summary>
    public void Reset(ForwardingTables tables)
    {
        _tables = tables;
        _fingerprint = Fingerprint(tables.Neighbours);
        _followUpReads = 5;
    }

    public void Tick()
    {
        var requested = false;
        int n;
        while ((n = _tables.Misses.Drain(_misses)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                var kernelIndex = _tables.Interfaces[_misses[i].EgressInterface].KernelIndex;
                requested |= Request(kernelIndex, _misses[i].ToIPAddress());
            }
        }
        // Gateways: retried every second until the kernel knows them.
        if (++_ticks % 5 == 0)
        {
            foreach (var (ifindex, address) in _tables.UnresolvedGateways())
            {
                requested |= Request(ifindex, address);
            }
        }
        if (requested)
        {
            Thread.Sleep(20); // let ARP/NDP answer before the read below
            _followUpReads = 5; // and keep reading for a second: an answer may take longer (NDP, a busy peer)
        }
        else if (_followUpReads > 0)
        {
            _followUpReads--;
        }
        else if (_ticks % 5 != 0)
        {
            return;
        }

        var table = _resolver.ReadTable();
        var fingerprint = Fingerprint(table);
        if (fingerprint == _fingerprint) return;
        _fingerprint = fingerprint;
        _tables = _tables.WithResolvedNeighbours(table);
        _publish(_tables);
    }

    private bool Request(int ifindex, System.Net.IPAddress address)
    {
        try
        {
            _resolver.RequestResolution(ifindex, address);
            return true;
        }
        catch (IOException e)
        {
            // The interface may have gone; the next tick tries again. Never let one failure stop the refresher.
            Console.Error.WriteLine($"neighbour resolution of {address} on ifindex {ifindex} failed: {e.Message}");
            return false;
        }
    }

    private static string Fingerprint(NeighbourTable table)
    {
        var parts = new List<string>(table.Count);
        foreach (var e in table.Entries) parts.Add($"{e.KernelInterfaceIndex}/{e.Address}/{e.Mac}");
        parts.Sort(StringComparer.Ordinal);
        return string.Join('|', parts);
    }
}
