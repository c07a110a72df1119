using Xdp.Runtime.Wire;

namespace Xdp.Vxlan;

/// <summary>
/// Everything configured for VXLAN, immutable once built (off the hot path) and published with one reference swap
/// between batches, like the forwarding tables. Learned entries live in <see cref="LearnedFdb"/>, which survives a
/// reload.
/// </summary>
public sealed class VxlanTables
{
    private readonly VxlanSegment[] _segments;
    private readonly int[] _segmentOfInterface;
    private readonly int[] _groupPolicyOfInterface;
    private readonly Dictionary<uint, int> _segmentOfVni;
    private readonly Dictionary<FdbKey, VtepAddress> _static;

    /// <param name="groupPolicy">GBP Group Policy ID per member interface index (sent when <see cref="VxlanSettings.Gbp"/>).</param>
    /// <exception cref="ArgumentException">A VNI out of range or repeated, a member in two segments or out of range, or a VTEP of the other family.</exception>
    public VxlanTables(VxlanSettings settings, IReadOnlyList<VxlanSegment> segments, int interfaceCount, IReadOnlyDictionary<int, ushort>? groupPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(segments);
        if (settings.SourcePortMin > settings.SourcePortMax) throw new ArgumentException("SourcePortMin is above SourcePortMax", nameof(settings));
        Settings = settings;
        _segments = [.. segments];
        _segmentOfInterface = new int[interfaceCount];
        Array.Fill(_segmentOfInterface, -1);
        _groupPolicyOfInterface = new int[interfaceCount];
        Array.Fill(_groupPolicyOfInterface, -1);
        _segmentOfVni = new Dictionary<uint, int>(_segments.Length);
        _static = [];
        for (var s = 0; s < _segments.Length; s++)
        {
            var segment = _segments[s];
            if (segment.Vni > VxlanHeader.MaxVni) throw new ArgumentException($"VNI {segment.Vni} does not fit 24 bits", nameof(segments));
            if (!_segmentOfVni.TryAdd(segment.Vni, s)) throw new ArgumentException($"VNI {segment.Vni} appears twice", nameof(segments));
            foreach (var member in segment.Members)
            {
                if ((uint)member >= (uint)interfaceCount) throw new ArgumentException($"VNI {segment.Vni}: member interface {member} out of range", nameof(segments));
                if (_segmentOfInterface[member] >= 0) throw new ArgumentException($"Interface {member} is a member of two segments", nameof(segments));
                _segmentOfInterface[member] = s;
            }
            foreach (var vtep in segment.Flood) CheckFamily(settings, vtep, segment.Vni);
            foreach (var entry in segment.Fdb)
            {
                CheckFamily(settings, entry.Vtep, segment.Vni);
                _static[new FdbKey(segment.Vni, entry.Mac.Value)] = entry.Vtep;
            }
        }
        if (groupPolicy is not null)
        {
            foreach (var (iface, id) in groupPolicy)
            {
                if ((uint)iface >= (uint)interfaceCount) throw new ArgumentException($"Group policy for interface {iface} out of range", nameof(groupPolicy));
                _groupPolicyOfInterface[iface] = id;
            }
        }
    }

    public VxlanSettings Settings { get; }
    public IReadOnlyList<VxlanSegment> Segments => _segments;
    internal VxlanSegment[] SegmentArray => _segments;

    /// <summary>Segment index of a member interface, -1 when the interface is in no segment.</summary>
    public int SegmentOf(int interfaceIndex) => (uint)interfaceIndex < (uint)_segmentOfInterface.Length ? _segmentOfInterface[interfaceIndex] : -1;

    /// <summary>Segment index of a VNI, -1 when this host has no such segment.</summary>
    public int SegmentOfVni(uint vni) => _segmentOfVni.TryGetValue(vni, out var s) ? s : -1;

    /// <summary>Group Policy ID configured for a member interface, -1 when none.</summary>
    public int GroupPolicyOf(int interfaceIndex) => (uint)interfaceIndex < (uint)_groupPolicyOfInterface.Length ? _groupPolicyOfInterface[interfaceIndex] : -1;

    public bool TryGetStatic(uint vni, MacAddress mac, out VtepAddress vtep) => _static.TryGetValue(new FdbKey(vni, mac.Value), out vtep);

    /// <summary>Every remote VTEP named by the configuration (flood lists, static entries): their MACs are resolved ahead of traffic.</summary>
    public IReadOnlyList<VtepAddress> ConfiguredVteps()
    {
        var set = new HashSet<VtepAddress>();
        foreach (var segment in _segments)
        {
            foreach (var v in segment.Flood) set.Add(v);
            foreach (var e in segment.Fdb) set.Add(e.Vtep);
        }
        return [.. set];
    }

    private static void CheckFamily(VxlanSettings settings, VtepAddress vtep, uint vni)
    {
        if (vtep.IsIpv6 != settings.Vtep.IsIpv6)
            throw new ArgumentException($"VNI {vni}: remote VTEP {vtep} is not of the underlay's family (local VTEP {settings.Vtep})");
    }
}
