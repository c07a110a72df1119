namespace Xdp.Ila;

/// <summary>One ILA domain as seen by SIR->ILA: a SIR prefix and the identifier -> locator mappings under it.</summary>
public sealed class IlaDomain
{
    public IlaDomain(ulong sirPrefix, IlaMappingTable mappings)
    {
        ArgumentNullException.ThrowIfNull(mappings);
        SirPrefix = sirPrefix;
        Mappings = mappings;
    }

    /// <summary>Upper 64 bits of the SIR addresses, host order.</summary>
    public ulong SirPrefix { get; }
    public IlaMappingTable Mappings { get; }
}

/// <summary>
/// One of this host's locators as seen by ILA->SIR: the SIR prefix its addresses are restored to and the checksum
/// mode of the domain (the mode a received identifier was mapped with cannot be looked up: a neutral mapping changed
/// its low 16 bits).
/// </summary>
public readonly record struct IlaLocalLocator(ulong Locator, ulong SirPrefix, IlaChecksumMode Mode);
