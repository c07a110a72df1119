using System.Net;

namespace XdpNet.LoadGen.Gen;

internal sealed record GenOptions(
    string Interface,
    byte[]? SrcMac,
    byte[]? DstMac,
    IPAddress Src,
    IPAddress Dst,
    ushort UdpPort,
    int Size,
    double DurationSeconds,
    int? Cpu,
    int Flows,
    int Batch);

internal sealed record GenResult(
    string Interface,
    int Ifindex,
    string SrcMac,
    string DstMac,
    string Src,
    string Dst,
    int Size,
    int Flows,
    int Batch,
    int? Cpu,
    ulong Packets,
    double Seconds,
    int Calls,
    ulong TxDropped,
    bool Interrupted)
{
    public double PacketsPerSecond => Seconds > 0 ? Packets / Seconds : 0;
    public double BitsPerSecond => PacketsPerSecond * Size * 8;
}
