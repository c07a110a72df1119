namespace XdpNet.Replay;

/// <summary>What a replay did with the input packets.</summary>
public sealed record ReplayResult(int Packets, int Transmitted, int Dropped, int Passed);
