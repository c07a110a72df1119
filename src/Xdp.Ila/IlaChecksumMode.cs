namespace Xdp.Ila;

/// <summary>
/// How a translation keeps transport checksums valid (draft-herbert-intarea-ila section 5.3; Linux ila.rst
/// "csum-mode"). Both ends of a domain must agree, except that a set C-bit always announces a neutral mapping.
/// </summary>
public enum IlaChecksumMode : byte
{
    /// <summary>
    /// Checksum-neutral mapping with the C-bit (identifiers are formatted): SIR->ILA sets the C-bit and folds the
    /// one's-complement difference of the address into the identifier's low 16 bits, so the address sums to the same
    /// value and the pseudo-header checksum of every transport is unchanged. ILA->SIR undoes it when the received
    /// C-bit is set; a received identifier without the C-bit was not mapped neutrally, so the transport checksum is
    /// adjusted instead (as the kernel does).
    /// </summary>
    NeutralMap = 0,

    /// <summary>
    /// Checksum-neutral mapping without a C-bit (ila.rst: "the checksum neutral adjustment may be configured to always
    /// be present using neutral-map-auto. In this case there is no C-bit, but the checksum adjustment is in the low order
    /// 16 bits"). Identifiers may be plain 64-bit values; both directions always apply the adjustment, so every node of
    /// the domain must use this mode.
    /// </summary>
    NeutralMapAuto = 1,

    /// <summary>Rewrite the address and fix the TCP/UDP/ICMPv6 checksum incrementally (RFC 1624 section 3, eqn. 3).</summary>
    AdjustTransport = 2,

    /// <summary>Rewrite the address only; transport checksums are wrong on the wire between the translators.</summary>
    NoAction = 3,
}
