namespace Xdp.Filter.Policy;

/// <summary>ICMP type names Cilium accepts in <c>icmps[].fields[].type</c> (RFC 792 / RFC 4443 / RFC 4861 numbers).</summary>
internal static class IcmpTypeNames
{
    private static readonly Dictionary<string, byte> V4 = new(StringComparer.OrdinalIgnoreCase)
    {
        ["EchoReply"] = 0,
        ["DestinationUnreachable"] = 3,
        ["Redirect"] = 5,
        ["Echo"] = 8,
        ["EchoRequest"] = 8,
        ["RouterAdvertisement"] = 9,
        ["RouterSelection"] = 10,
        ["TimeExceeded"] = 11,
        ["ParameterProblem"] = 12,
        ["Timestamp"] = 13,
        ["TimestampReply"] = 14,
        ["Photuris"] = 40,
        ["ExtendedEchoRequest"] = 42,
        ["ExtendedEchoReply"] = 43,
    };

    private static readonly Dictionary<string, byte> V6 = new(StringComparer.OrdinalIgnoreCase)
    {
        ["DestinationUnreachable"] = 1,
        ["PacketTooBig"] = 2,
        ["TimeExceeded"] = 3,
        ["ParameterProblem"] = 4,
        ["EchoRequest"] = 128,
        ["EchoReply"] = 129,
        ["MulticastListenerQuery"] = 130,
        ["MulticastListenerReport"] = 131,
        ["MulticastListenerDone"] = 132,
        ["RouterSolicitation"] = 133,
        ["RouterAdvertisement"] = 134,
        ["NeighborSolicitation"] = 135,
        ["NeighborAdvertisement"] = 136,
        ["RedirectMessage"] = 137,
        ["RouterRenumbering"] = 138,
        ["ExtendedEchoRequest"] = 160,
        ["ExtendedEchoReply"] = 161,
    };

    public static bool TryGet(string name, IcmpFamily family, out int type)
    {
        var found = (family == IcmpFamily.IPv4 ? V4 : V6).TryGetValue(name, out var value);
        type = value;
        return found;
    }
}
