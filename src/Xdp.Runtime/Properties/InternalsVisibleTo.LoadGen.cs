using System.Runtime.CompilerServices;

// The load generator (perf/XdpNet.LoadGen) drives libbpf through the same interop layer.
[assembly: InternalsVisibleTo("xdpnet-loadgen")]
