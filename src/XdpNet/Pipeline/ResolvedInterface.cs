using Xdp.Runtime.Wire;

namespace XdpNet.Pipeline;

/// <summary>A configured interface with what the kernel (or, offline, the configuration) says about it.</summary>
public sealed record ResolvedInterface(int Index, string Name, int KernelIndex, MacAddress Mac, int Mtu);
