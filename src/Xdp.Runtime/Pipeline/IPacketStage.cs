namespace Xdp.Runtime.Pipeline;

/// <summary>
/// A pipeline stage. Implemented by structs and composed with <see cref="Chain{TFirst, TSecond}"/> so the
/// JIT specialises the whole pipeline: no virtual or interface call per packet.
/// </summary>
public interface IPacketStage
{
    Verdict Process(ref PacketContext packet);
}

/// <summary>Runs <typeparamref name="TFirst"/>, then <typeparamref name="TSecond"/> while the verdict is Continue.</summary>
public struct Chain<TFirst, TSecond> : IPacketStage
    where TFirst : struct, IPacketStage
    where TSecond : struct, IPacketStage
{
    public TFirst First;
    public TSecond Second;

    public Chain(TFirst first, TSecond second)
    {
        First = first;
        Second = second;
    }

    public Verdict Process(ref PacketContext packet)
    {
        var verdict = First.Process(ref packet);
        return verdict == Verdict.Continue ? Second.Process(ref packet) : verdict;
    }
}
