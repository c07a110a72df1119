using Xdp.ControlPlane.Cluster;
using Xdp.ControlPlane.Etcd;
using XdpNet.Configuration;

namespace XdpNet.Host;

/// <summary>
/// <c>xdpnet run</c>'s side of the cluster state (docs/etcd.md): the etcd client, the watched state, and this host's
/// published entries under a lease. ILA mapping changes are applied in place to the live tables by the sync's thread
/// (<see cref="ClusterIlaMappings"/>: O(1) per mapping, no reload). Any other change asks for a reload; the reload
/// merges the host file with the current state (<see cref="ClusterMerge"/>) and goes through the same validation and
/// swap as a file change, keeping the live ILA tables. While etcd is unreachable the data plane keeps its last state;
/// the sync reconnects and resynchronises by itself.
/// </summary>
public sealed class ClusterSource : IDisposable
{
    private readonly EtcdClient _client;
    private readonly ClusterStateSync _sync;
    private readonly HostPublisher? _publisher;
    private readonly string _policyDirectory;
    private readonly CancellationTokenSource _stop = new();

    private ClusterSource(EtcdClient client, ClusterStateSync sync, HostPublisher? publisher, string policyDirectory, ClusterIlaMappings ila)
    {
        _client = client;
        _sync = sync;
        _publisher = publisher;
        _policyDirectory = policyDirectory;
        IlaMappings = ila;
    }

    public ClusterState Current => _sync.Current;

    /// <summary>The live ILA tables and their counters (incremental updates, rebuilds, refused entries).</summary>
    public ClusterIlaMappings IlaMappings { get; }

    /// <summary>Starts watching; waits up to Etcd:StartTimeoutSeconds for the first snapshot (it goes on trying after that).</summary>
    public static ClusterSource Start(HostConfig config, CancellationToken token, Action changed)
    {
        var etcd = config.Etcd;
        var client = new EtcdClient(etcd.Endpoints.Select(u => new Uri(u)));
        var sync = new ClusterStateSync(client, new ClusterStateSyncOptions
        {
            Prefix = etcd.Prefix,
            Log = line => Console.WriteLine($"etcd: {line}"),
        });
        var ila = new ClusterIlaMappings(line => Console.WriteLine($"etcd: {line}"));
        sync.Changed += (state, changes) =>
        {
            // Mappings go straight into the live tables; anything else is a reload on the main thread.
            if (ila.Apply(state, changes)) changed();
        };
        HostPublisher? publisher = null;
        if (etcd.Publish)
        {
            var locators = config.Ila.Domains.Select(d => d.Locator.Split('/')[0]).ToList();
            var endpoints = config.Endpoints.Where(e => !string.IsNullOrEmpty(e.Interface))
                .Select(e => new ClusterEndpoint(e.Name, e.Addresses, config.Node.Name, e.Interface, e.Labels)).ToList();
            publisher = new HostPublisher(client, new ClusterKeys(etcd.Prefix), new ClusterHost(config.Node.Name, config.Vxlan.Vtep, locators),
                endpoints, TimeSpan.FromSeconds(etcd.LeaseSeconds), line => Console.WriteLine($"etcd: {line}"));
        }
        var directory = Path.Combine(Path.GetTempPath(), $"xdpnet-{config.Node.Name}-{Environment.ProcessId}-policies");
        var source = new ClusterSource(client, sync, publisher, directory, ila);
        var started = sync.StartAsync(source._stop.Token).ContinueWith(t =>
        {
            // A first snapshot that came late is applied like any change.
            if (!t.IsCompletedSuccessfully) return;
            ila.Load(t.Result);
            changed();
        }, TaskScheduler.Default);
        if (!started.Wait(TimeSpan.FromSeconds(etcd.StartTimeoutSeconds), token))
        {
            Console.WriteLine($"etcd: no snapshot from {string.Join(", ", etcd.Endpoints)} within {etcd.StartTimeoutSeconds} s; starting with the host file alone and still trying");
        }
        else
        {
            Console.WriteLine($"etcd: snapshot at revision {sync.Current.Revision}: {sync.Current.Endpoints.Count} endpoints, {sync.Current.MappingCount} ILA mappings, {sync.Current.Policies.Count} policies");
        }
        if (publisher is not null) _ = publisher.StartAsync(source._stop.Token);
        return source;
    }

    /// <summary>
    /// This host's endpoints and ILA mappings changed (endpoints added or removed through the control socket): written
    /// under its lease in the background; a failure is logged (the lists are written again with the next publication).
    /// </summary>
    public void Publish(IReadOnlyList<ClusterEndpoint> endpoints, IReadOnlyList<ClusterMapping> mappings)
    {
        if (_publisher is null) return;
        _ = _publisher.SetAsync(endpoints, mappings, _stop.Token).ContinueWith(t =>
        {
            if (t.IsFaulted) Console.WriteLine($"etcd: publishing this host's endpoints failed ({t.Exception?.GetBaseException().Message})");
        }, TaskScheduler.Default);
    }

    /// <summary>A loaded host file merged with the current cluster state and validated as a whole.</summary>
    public HostConfigLoadResult Merge(HostConfigLoadResult file)
    {
        if (!file.Succeeded) return file;
        var merged = ClusterMerge.Merge(file.Config!, _sync.Current, _policyDirectory);
        merged.Ila.ClusterMappings = IlaMappings;
        var errors = HostConfigValidator.Validate(merged);
        return errors.Count == 0 ? new HostConfigLoadResult(merged, []) : new HostConfigLoadResult(null, errors);
    }

    public void Dispose()
    {
        _stop.Cancel();
        // A clean stop revokes the lease: this host's entries go at once.
        try
        {
            _publisher?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(3));
            _sync.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(3));
        }
        catch (AggregateException)
        {
        }
        _client.Dispose();
        _stop.Dispose();
        try
        {
            if (Directory.Exists(_policyDirectory)) Directory.Delete(_policyDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
