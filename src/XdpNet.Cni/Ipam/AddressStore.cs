using System.Net;
using System.Text;
using XdpNet.Cni.Protocol;

namespace XdpNet.Cni.Ipam;

/// <summary>
/// Address allocation of one network on this host, kept on disk so it survives restarts of everything
/// (layout as the reference host-local IPAM plugin's, written anew here): in <c>&lt;dataDir&gt;/&lt;network&gt;/</c>,
/// one file per allocated address, named by the address and holding the owner "containerId\nifname\n"; a
/// <c>last-reserved</c> file with the last address handed out, so a released address is reused only after the
/// whole range went round (stale neighbour and FDB entries elsewhere have expired by then); and a <c>lock</c> file
/// whose exclusive flock serialises every change, so concurrent ADDs never get the same address. A record is written
/// to a temporary file, flushed to disk and renamed into place: after a crash it either exists whole or not at all.
/// </summary>
internal sealed class AddressStore
{
    private const string LockFile = "lock";
    private const string LastReservedFile = "last-reserved";

    private readonly string _directory;
    private readonly AddressPool _pool;
    private readonly TimeSpan _lockTimeout;

    public AddressStore(string dataDir, string network, AddressPool pool, TimeSpan? lockTimeout = null)
    {
        _directory = Path.Combine(dataDir, network);
        _pool = pool;
        _lockTimeout = lockTimeout ?? TimeSpan.FromSeconds(30);
    }

    public string Directory => _directory;

    /// <summary>
    /// The address of (<paramref name="containerId"/>, <paramref name="ifName"/>): the one it already holds (a retried
    /// ADD), else the next free one after the last handed out.
    /// </summary>
    /// <exception cref="CniException">Code 100 when the range is exhausted; 11 when the lock is not obtained; 5 on I/O errors.</exception>
    public IPAddress Allocate(string containerId, string ifName)
    {
        EnsureDirectory();
        using var _ = FileLock.Acquire(Path.Combine(_directory, LockFile), _lockTimeout);
        var owner = Owner(containerId, ifName);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (address, recordOwner) in ReadRecords())
        {
            if (recordOwner == owner) return address;
            taken.Add(address.ToString());
        }

        var start = ReadLastReserved() is UInt128 last && last >= _pool.First && last < _pool.Last ? last + 1 : _pool.First;
        var candidate = start;
        for (UInt128 i = 0; i < _pool.Size; i++)
        {
            if (_pool.IsUsable(candidate))
            {
                var address = _pool.ToAddress(candidate);
                if (!taken.Contains(address.ToString()))
                {
                    WriteAtomically(Path.Combine(_directory, address.ToString()), owner);
                    WriteAtomically(Path.Combine(_directory, LastReservedFile), address + "\n");
                    return address;
                }
            }
            candidate = candidate == _pool.Last ? _pool.First : candidate + 1;
        }
        throw new CniException(CniErrorCode.AddressesExhausted,
            $"no free address left in {_pool.ToAddress(_pool.First)}-{_pool.ToAddress(_pool.Last)} ({taken.Count} allocated)", _directory);
    }

    /// <summary>Removes every record of (<paramref name="containerId"/>, <paramref name="ifName"/>); none is not an error.</summary>
    public IReadOnlyList<IPAddress> Release(string containerId, string ifName)
    {
        if (!System.IO.Directory.Exists(_directory)) return [];
        using var _ = FileLock.Acquire(Path.Combine(_directory, LockFile), _lockTimeout);
        var owner = Owner(containerId, ifName);
        var released = new List<IPAddress>();
        foreach (var (address, recordOwner) in ReadRecords())
        {
            if (recordOwner != owner) continue;
            File.Delete(Path.Combine(_directory, address.ToString()));
            released.Add(address);
        }
        return released;
    }

    /// <summary>The addresses (<paramref name="containerId"/>, <paramref name="ifName"/>) holds (read without the lock: a snapshot).</summary>
    public IReadOnlyList<IPAddress> Find(string containerId, string ifName)
    {
        if (!System.IO.Directory.Exists(_directory)) return [];
        var owner = Owner(containerId, ifName);
        var found = new List<IPAddress>();
        foreach (var (address, recordOwner) in ReadRecords())
        {
            if (recordOwner == owner) found.Add(address);
        }
        return found;
    }

    /// <summary>Every allocation: address and owner "containerId\nifname\n".</summary>
    public IEnumerable<(IPAddress Address, string Owner)> ReadRecords()
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory))
        {
            var name = Path.GetFileName(path);
            if (!IPAddress.TryParse(name, out var address)) continue; // lock, last-reserved, temporary files
            string owner;
            try
            {
                owner = File.ReadAllText(path, Encoding.UTF8);
            }
            catch (FileNotFoundException)
            {
                continue; // released meanwhile (Find reads without the lock)
            }
            yield return (address, owner);
        }
    }

    public static string Owner(string containerId, string ifName) => containerId + "\n" + ifName + "\n";

    private void EnsureDirectory()
    {
        try
        {
            System.IO.Directory.CreateDirectory(_directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CniException(CniErrorCode.IoFailure, $"dataDir: cannot create {_directory}: {e.Message}", _directory, e);
        }
    }

    private UInt128? ReadLastReserved()
    {
        var path = Path.Combine(_directory, LastReservedFile);
        if (!File.Exists(path)) return null;
        var text = File.ReadAllText(path).Trim();
        if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != _pool.Family) return null;
        return AddressMath.ToValue(address);
    }

    private static void WriteAtomically(string path, string content)
    {
        var temporary = path + ".tmp" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
