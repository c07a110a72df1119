using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Ila;

/// <summary>
/// ILA translation of an IPv6 packet's destination address (draft-herbert-intarea-ila section 5), in place:
/// SIR->ILA replaces a SIR prefix with the locator the identifier maps to; ILA->SIR replaces one of this host's
/// locators with its SIR prefix. Only the destination is rewritten; source and the host's own addresses never are.
/// Immutable: a reload builds a new translator and swaps the reference. Methods take the bytes of an IPv6 packet
/// (from its fixed header), allocate nothing and never throw; a packet is changed only when the result is
/// <see cref="IlaTranslationResult.Translated"/>.
/// </summary>
public sealed class IlaTranslator
{
    private const int DestinationOffset = 24;
    private const int IdentifierOffset = 32;

    private readonly ulong[] _sirPrefixes;
    private readonly IlaMappingTable[] _tables;
    private readonly ulong[] _locators;
    private readonly ulong[] _locatorSirPrefixes;
    private readonly IlaChecksumMode[] _locatorModes;
    private readonly UInt128[] _hostAddresses;

    /// <param name="domains">SIR prefixes with their mappings, for SIR->ILA. Prefixes must be distinct.</param>
    /// <param name="localLocators">This host's locators, for ILA->SIR. Locators must be distinct.</param>
    /// <param name="hostAddresses">The host's own addresses (network order, as read from memory), never translated
    /// even when they fall under a SIR prefix or a local locator.</param>
    public IlaTranslator(IReadOnlyList<IlaDomain> domains, IReadOnlyList<IlaLocalLocator> localLocators, IReadOnlyList<UInt128>? hostAddresses = null)
    {
        ArgumentNullException.ThrowIfNull(domains);
        ArgumentNullException.ThrowIfNull(localLocators);
        _sirPrefixes = new ulong[domains.Count];
        _tables = new IlaMappingTable[domains.Count];
        for (var i = 0; i < domains.Count; i++)
        {
            if (Array.IndexOf(_sirPrefixes, domains[i].SirPrefix, 0, i) >= 0)
                throw new ArgumentException($"SIR prefix {IlaPrefix.Format(domains[i].SirPrefix)} is configured twice", nameof(domains));
            _sirPrefixes[i] = domains[i].SirPrefix;
            _tables[i] = domains[i].Mappings;
        }
        _locators = new ulong[localLocators.Count];
        _locatorSirPrefixes = new ulong[localLocators.Count];
        _locatorModes = new IlaChecksumMode[localLocators.Count];
        for (var i = 0; i < localLocators.Count; i++)
        {
            if (Array.IndexOf(_locators, localLocators[i].Locator, 0, i) >= 0)
                throw new ArgumentException($"locator {IlaPrefix.Format(localLocators[i].Locator)} is configured twice", nameof(localLocators));
            _locators[i] = localLocators[i].Locator;
            _locatorSirPrefixes[i] = localLocators[i].SirPrefix;
            _locatorModes[i] = localLocators[i].Mode;
        }
        _hostAddresses = hostAddresses is null ? [] : [.. hostAddresses];
    }

    public static IlaTranslator Empty { get; } = new([], []);

    /// <summary>
    /// SIR->ILA: when the destination's upper 64 bits are a SIR prefix and its identifier is mapped to another
    /// host's locator, rewrites the destination with the mapping's checksum mode. <paramref name="mapping"/> is the
    /// mapping found (for its next hop), default otherwise. On <see cref="IlaTranslationResult.NoMapping"/> the packet
    /// is untouched, to be forwarded to an ILA router or dropped as the caller's miss policy says.
    /// </summary>
    public IlaTranslationResult SirToIla(Span<byte> packet, out IlaMapping mapping)
    {
        mapping = default;
        if (!TryValidate(packet, out var totalLength)) return IlaTranslationResult.Malformed;
        var prefix = ReadDestinationPrefix(packet);
        var domain = Array.IndexOf(_sirPrefixes, prefix);
        if (domain < 0) return IlaTranslationResult.NotInSirPrefix;
        if (IsHostAddress(packet)) return IlaTranslationResult.HostAddress;
        var identifier = BinaryPrimitives.ReadUInt64BigEndian(packet[IdentifierOffset..]);
        if (!_tables[domain].TryLookup(identifier, out mapping)) return IlaTranslationResult.NoMapping;
        if (Array.IndexOf(_locators, mapping.Locator) >= 0) return IlaTranslationResult.LocalIdentifier;
        return ToIla(packet, totalLength, mapping.Locator, mapping.Mode);
    }

    /// <summary>
    /// ILA->SIR: when the destination's upper 64 bits are one of this host's locators, restores the SIR prefix of
    /// that locator's domain, undoing the checksum handling of the domain's mode (a set C-bit always means a neutral
    /// mapping in neutral-map mode).
    /// </summary>
    public IlaTranslationResult IlaToSir(Span<byte> packet)
    {
        if (!TryValidate(packet, out var totalLength)) return IlaTranslationResult.Malformed;
        var locator = ReadDestinationPrefix(packet);
        var index = Array.IndexOf(_locators, locator);
        if (index < 0) return IlaTranslationResult.NotOurLocator;
        if (IsHostAddress(packet)) return IlaTranslationResult.HostAddress;
        return ToSir(packet, totalLength, _locatorSirPrefixes[index], _locatorModes[index]);
    }

    /// <summary>
    /// ICMPv6 errors (RFC 4443 types 1-4: Destination Unreachable, Packet Too Big, Time Exceeded, Parameter Problem)
    /// quoting a packet this domain translated SIR->ILA: a router on the path answers the SIR source, quoting the
    /// destination as it saw it, ILA. The sender only knows the SIR address, so PMTU discovery and traceroute would
    /// not match the error to its socket. The quoted destination is translated back: its locator is another host's,
    /// so the mapping is found in reverse (undo the mode's identifier change, look the identifier up under each SIR
    /// prefix, and accept it only when it maps to that same locator with that mode); in adjust-transport mode the quoted
    /// transport checksum is restored too, when the quote reaches it. The error's own ICMPv6 checksum covers the
    /// quote and is updated incrementally (RFC 1624), so a corrupt error stays corrupt. <paramref name="packet"/> is
    /// the error's IPv6 packet; only ICMPv6 directly after the fixed header is looked at.
    /// </summary>
    public IlaTranslationResult TranslateQuotedError(Span<byte> packet)
    {
        const int IcmpOffset = 40, QuoteOffset = IcmpOffset + 8;
        if (!TryValidate(packet, out var totalLength)) return IlaTranslationResult.Malformed;
        if (packet[6] != 58 || totalLength < QuoteOffset + 40) return IlaTranslationResult.NotQuotingIla;
        var type = packet[IcmpOffset];
        if (type is < 1 or > 4) return IlaTranslationResult.NotQuotingIla;
        var quote = packet[QuoteOffset..totalLength];
        if ((quote[0] >> 4) != 6) return IlaTranslationResult.NotQuotingIla;

        var locator = ReadDestinationPrefix(quote);
        var quoted = BinaryPrimitives.ReadUInt64BigEndian(quote[IdentifierOffset..]);
        for (var d = 0; d < _sirPrefixes.Length; d++)
        {
            var sir = _sirPrefixes[d];
            if (!TryReverse(_tables[d], quoted, locator, sir, out var identifier, out var mode)) continue;

            var icmpChecksum = BinaryPrimitives.ReadUInt16BigEndian(packet[(IcmpOffset + 2)..]);
            Span<byte> old = stackalloc byte[16];
            quote.Slice(DestinationOffset, 16).CopyTo(old);
            WriteDestination(quote, sir, identifier);
            icmpChecksum = Xdp.Runtime.Wire.Checksum.Update(icmpChecksum, old, quote.Slice(DestinationOffset, 16));
            if (mode == IlaChecksumMode.AdjustTransport)
            {
                // The quote may stop before the transport header (RFC 4443 section 2.4 (c)): then there is nothing to restore.
                var field = TransportChecksumField.Find(quote, quote.Length, out var isUdp);
                if (field >= 0)
                {
                    var before = BinaryPrimitives.ReadUInt16BigEndian(quote[field..]);
                    if (!(isUdp && before == 0))
                    {
                        var after = IlaChecksumMath.Update64(before, locator, sir);
                        if (isUdp && after == 0) after = 0xFFFF;
                        BinaryPrimitives.WriteUInt16BigEndian(quote[field..], after);
                        icmpChecksum = Xdp.Runtime.Wire.Checksum.Update16(icmpChecksum, before, after);
                    }
                }
            }
            BinaryPrimitives.WriteUInt16BigEndian(packet[(IcmpOffset + 2)..], icmpChecksum);
            return IlaTranslationResult.Translated;
        }
        return IlaTranslationResult.NotQuotingIla;
    }

    /// <summary>The SIR identifier an ILA identifier was made from under <paramref name="sirPrefix"/>, when a mapping of
    /// <paramref name="table"/> says so: same locator, and the mode that produces exactly this form.</summary>
    private static bool TryReverse(IlaMappingTable table, ulong quoted, ulong locator, ulong sirPrefix, out ulong identifier, out IlaChecksumMode mode)
    {
        IlaMapping mapping;
        if ((quoted & IlaIdentifier.CBit) != 0)
        {
            identifier = Neutral(quoted & ~IlaIdentifier.CBit, locator, sirPrefix, IlaChecksumMath.Sum64(IlaIdentifier.CBit));
            if (table.TryLookup(identifier, out mapping) && mapping.Locator == locator && mapping.Mode == IlaChecksumMode.NeutralMap)
            {
                mode = mapping.Mode;
                return true;
            }
        }
        identifier = quoted;
        if (table.TryLookup(identifier, out mapping) && mapping.Locator == locator
            && mapping.Mode is IlaChecksumMode.AdjustTransport or IlaChecksumMode.NoAction)
        {
            mode = mapping.Mode;
            return true;
        }
        identifier = Neutral(quoted, locator, sirPrefix, 0);
        if (table.TryLookup(identifier, out mapping) && mapping.Locator == locator && mapping.Mode == IlaChecksumMode.NeutralMapAuto)
        {
            mode = mapping.Mode;
            return true;
        }
        identifier = 0;
        mode = default;
        return false;
    }

    /// <summary>The SIR prefixes (upper 64 bits, host order), for the neighbour responder: addresses under them are routed by the data plane.</summary>
    public ReadOnlySpan<ulong> SirPrefixes => _sirPrefixes;

    /// <summary>SIR->ILA rewrite of an IPv6 packet's destination with a known locator and mode (no table lookup).</summary>
    public static IlaTranslationResult RewriteToIla(Span<byte> packet, ulong locator, IlaChecksumMode mode) =>
        TryValidate(packet, out var totalLength) ? ToIla(packet, totalLength, locator, mode) : IlaTranslationResult.Malformed;

    /// <summary>ILA->SIR rewrite of an IPv6 packet's destination with a known SIR prefix and mode.</summary>
    public static IlaTranslationResult RewriteToSir(Span<byte> packet, ulong sirPrefix, IlaChecksumMode mode) =>
        TryValidate(packet, out var totalLength) ? ToSir(packet, totalLength, sirPrefix, mode) : IlaTranslationResult.Malformed;

    private static IlaTranslationResult ToIla(Span<byte> packet, int totalLength, ulong locator, IlaChecksumMode mode)
    {
        var prefix = ReadDestinationPrefix(packet);
        var identifier = BinaryPrimitives.ReadUInt64BigEndian(packet[IdentifierOffset..]);
        switch (mode)
        {
            case IlaChecksumMode.NeutralMap:
                if ((identifier & IlaIdentifier.CBit) != 0) return IlaTranslationResult.CBitInSirAddress;
                // Setting the C-bit adds 0x1000 to the identifier's first word: take it out of the adjustment too.
                identifier = Neutral(identifier | IlaIdentifier.CBit, prefix, locator, IlaChecksumMath.Negate64(IlaIdentifier.CBit));
                break;
            case IlaChecksumMode.NeutralMapAuto:
                identifier = Neutral(identifier, prefix, locator, 0);
                break;
            case IlaChecksumMode.AdjustTransport:
                return AdjustTransport(packet, totalLength, prefix, locator);
            case IlaChecksumMode.NoAction:
                break;
            default:
                return IlaTranslationResult.Malformed;
        }
        WriteDestination(packet, locator, identifier);
        return IlaTranslationResult.Translated;
    }

    private static IlaTranslationResult ToSir(Span<byte> packet, int totalLength, ulong sirPrefix, IlaChecksumMode mode)
    {
        var locator = ReadDestinationPrefix(packet);
        var identifier = BinaryPrimitives.ReadUInt64BigEndian(packet[IdentifierOffset..]);
        switch (mode)
        {
            case IlaChecksumMode.NeutralMap:
                // Without the C-bit the sender did not map neutrally (ila.rst); the kernel falls back to adjusting
                // the transport checksum, which is right for an adjust-transport sender.
                if ((identifier & IlaIdentifier.CBit) == 0) return AdjustTransport(packet, totalLength, locator, sirPrefix);
                identifier = Neutral(identifier & ~IlaIdentifier.CBit, locator, sirPrefix, IlaChecksumMath.Sum64(IlaIdentifier.CBit));
                break;
            case IlaChecksumMode.NeutralMapAuto:
                identifier = Neutral(identifier, locator, sirPrefix, 0);
                break;
            case IlaChecksumMode.AdjustTransport:
                return AdjustTransport(packet, totalLength, locator, sirPrefix);
            case IlaChecksumMode.NoAction:
                break;
            default:
                return IlaTranslationResult.Malformed;
        }
        WriteDestination(packet, sirPrefix, identifier);
        return IlaTranslationResult.Translated;
    }

    /// <summary>
    /// Checksum-neutral mapping (draft-herbert-intarea-ila section 5.3.3, ila.rst): the low 16 bits of the
    /// identifier absorb sum(old prefix) - sum(new prefix) + <paramref name="extra"/> (the C-bit's change), so the
    /// one's-complement sum of the whole address, and with it every pseudo-header checksum, is unchanged.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Neutral(ulong identifier, ulong oldPrefix, ulong newPrefix, uint extra)
    {
        var low = IlaChecksumMath.Fold((ushort)identifier + IlaChecksumMath.Sum64(oldPrefix) + IlaChecksumMath.Negate64(newPrefix) + extra);
        return (identifier & ~0xFFFFUL) | low;
    }

    private static IlaTranslationResult AdjustTransport(Span<byte> packet, int totalLength, ulong oldPrefix, ulong newPrefix)
    {
        // Locate (and bounds-check) before writing anything: a truncated packet is left as it came.
        var field = TransportChecksumField.Find(packet, totalLength, out var isUdp);
        if (field == TransportChecksumField.Truncated) return IlaTranslationResult.Malformed;
        if (field >= 0)
        {
            ref var at = ref packet[field];
            var checksum = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref at));
            // RFC 8200 section 8.1 makes a zero UDP checksum invalid over IPv6, but a packet that has one carries no
            // checksum to fix: leave it. A computed zero is sent as 0xFFFF for UDP (RFC 768).
            if (!(isUdp && checksum == 0))
            {
                checksum = IlaChecksumMath.Update64(checksum, oldPrefix, newPrefix);
                if (isUdp && checksum == 0) checksum = 0xFFFF;
                Unsafe.WriteUnaligned(ref at, BinaryPrimitives.ReverseEndianness(checksum));
            }
        }
        BinaryPrimitives.WriteUInt64BigEndian(packet[DestinationOffset..], newPrefix);
        return IlaTranslationResult.Translated;
    }

    private static bool TryValidate(ReadOnlySpan<byte> packet, out int totalLength)
    {
        totalLength = 0;
        if (packet.Length < 40 || (packet[0] >> 4) != 6) return false;
        totalLength = 40 + BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        return totalLength <= packet.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadDestinationPrefix(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt64BigEndian(packet[DestinationOffset..]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteDestination(Span<byte> packet, ulong prefix, ulong identifier)
    {
        BinaryPrimitives.WriteUInt64BigEndian(packet[DestinationOffset..], prefix);
        BinaryPrimitives.WriteUInt64BigEndian(packet[IdentifierOffset..], identifier);
    }

    private bool IsHostAddress(ReadOnlySpan<byte> packet)
    {
        var hosts = _hostAddresses;
        if (hosts.Length == 0) return false;
        var destination = Unsafe.ReadUnaligned<UInt128>(ref MemoryMarshal.GetReference(packet[DestinationOffset..]));
        return Array.IndexOf(hosts, destination) >= 0;
    }
}
