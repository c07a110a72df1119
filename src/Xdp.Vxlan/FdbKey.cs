namespace Xdp.Vxlan;

/// <summary>An FDB key: a MAC (48 bits) within a segment's VNI.</summary>
public readonly record struct FdbKey(uint Vni, ulong Mac);
