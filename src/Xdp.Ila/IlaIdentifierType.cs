namespace Xdp.Ila;

/// <summary>The identifier type in the top 3 bits of a formatted identifier (draft-herbert-intarea-ila section 4.5).</summary>
public enum IlaIdentifierType : byte
{
    /// <summary>Interface identifier (IID).</summary>
    InterfaceId = 0,
    /// <summary>Locally unique identifier (LUID).</summary>
    LocallyUnique = 1,
    /// <summary>Virtual networking identifier for IPv4.</summary>
    VirtualIpv4 = 2,
    /// <summary>Virtual networking identifier for IPv6 unicast.</summary>
    VirtualIpv6Unicast = 3,
    /// <summary>Virtual networking identifier for IPv6 multicast.</summary>
    VirtualIpv6Multicast = 4,
    /// <summary>Non-local address identifier.</summary>
    NonLocalAddress = 5,
    Reserved6 = 6,
    Reserved7 = 7,
}
