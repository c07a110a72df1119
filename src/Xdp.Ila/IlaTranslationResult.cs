namespace Xdp.Ila;

/// <summary>What <see cref="IlaTranslator"/> did with a packet. Only <see cref="Translated"/> changed bytes.</summary>
public enum IlaTranslationResult : byte
{
    /// <summary>The destination was rewritten (and, in adjust-transport mode, the transport checksum).</summary>
    Translated = 0,
    /// <summary>SIR->ILA: the destination is in none of the SIR prefixes; not ILA's packet.</summary>
    NotInSirPrefix,
    /// <summary>SIR->ILA: the identifier has no mapping. Forward untranslated to an ILA router, or drop.</summary>
    NoMapping,
    /// <summary>SIR->ILA: the identifier maps to one of this host's locators; deliver by SIR address, no rewrite.</summary>
    LocalIdentifier,
    /// <summary>ILA->SIR: the destination locator is not one of this host's.</summary>
    NotOurLocator,
    /// <summary>The destination is one of the host's own (underlay) addresses, which are never rewritten.</summary>
    HostAddress,
    /// <summary>Neutral-map SIR->ILA of an address whose identifier already carries the C-bit (never valid in a SIR address).</summary>
    CBitInSirAddress,
    /// <summary>Shorter than the IPv6 header, not version 6, payload length past the buffer, or the transport
    /// header whose checksum must be fixed is truncated.</summary>
    Malformed,
    /// <summary>ICMPv6 error translation: not an ICMPv6 error, or the invoking packet it quotes is not addressed to an
    /// ILA address of a known mapping.</summary>
    NotQuotingIla,
}
