using Xdp.Runtime.Wire;

namespace Xdp.Vxlan;

/// <summary>A static FDB entry: frames for <paramref name="Mac"/> go to <paramref name="Vtep"/>.</summary>
public readonly record struct StaticFdbEntry(MacAddress Mac, VtepAddress Vtep);

/// <summary>
/// One tenant L2 segment: its VNI, the local interfaces (container veths) that are its members, the remote VTEPs that
/// get copies of flooded frames, whether remote MACs are learned from decapsulated traffic, and static FDB entries.
/// </summary>
public sealed record VxlanSegment(uint Vni, int[] Members, VtepAddress[] Flood, bool Learning, StaticFdbEntry[] Fdb);
