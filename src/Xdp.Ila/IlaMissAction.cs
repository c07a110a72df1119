namespace Xdp.Ila;

/// <summary>What SIR->ILA does when an identifier has no mapping (draft-herbert-intarea-ila section 6).</summary>
public enum IlaMissAction : byte
{
    /// <summary>Drop under <c>DropReason.IlaNoMapping</c>.</summary>
    Drop = 0,
    /// <summary>Forward untranslated, by the SIR address, to an ILA router that holds the full table (ILA-N -> ILA-R).</summary>
    Forward = 1,
}
