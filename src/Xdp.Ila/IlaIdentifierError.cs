namespace Xdp.Ila;

/// <summary>Why an identifier is refused for a checksum mode (<see cref="IlaIdentifier.Validate"/>).</summary>
public enum IlaIdentifierError : byte
{
    None = 0,
    /// <summary>Low 16 bits are 0x0000 in a checksum-neutral mode (one's-complement +0 of the 0x0000/0xFFFF pair).</summary>
    LowBitsZero,
    /// <summary>Low 16 bits are 0xFFFF in a checksum-neutral mode (one's-complement -0 of the 0x0000/0xFFFF pair).</summary>
    LowBitsAllOnes,
    /// <summary>The C-bit is set in a SIR identifier in neutral-map mode (the C-bit only appears in ILA addresses).</summary>
    CBitInSirIdentifier,
}

public static class IlaIdentifierErrors
{
    /// <summary>kebab-case name for configuration errors and logs.</summary>
    public static string Name(IlaIdentifierError error) => error switch
    {
        IlaIdentifierError.None => "none",
        IlaIdentifierError.LowBitsZero => "low-bits-zero",
        IlaIdentifierError.LowBitsAllOnes => "low-bits-all-ones",
        IlaIdentifierError.CBitInSirIdentifier => "c-bit-in-sir-identifier",
        _ => error.ToString(),
    };
}
