using System.Buffers.Binary;
using System.Net.Sockets;
using System.Numerics;

namespace Xdp.Runtime.Bpf;

/// <summary>
/// The steering decision of bpf/xdp-redirect.bpf.c in C#, for offline replay and tests: same order
/// (UDP port, longest destination prefix, ethertype), same parsing limits (two VLAN tags, IPv4 IHL and
/// first fragment only, IPv6 fixed header only), same malformed cases. Immutable; <see cref="Decide"/>
/// allocates nothing.
/// </summary>
public sealed class SteeringDecider
{
    private const int EthernetHeaderLength = 14;
    private const int VlanTagLength = 4;
    private const int MaxVlanTags = 2;
    private const int Ipv4MinHeaderLength = 20;
    private const int Ipv6HeaderLength = 40;
    private const int UdpHeaderLength = 8;
    private const ushort EtherTypeIpv4 = 0x0800;
    private const ushort EtherTypeIpv6 = 0x86DD;
    private const ushort EtherTypeArp = 0x0806;
    private const ushort EtherTypeVlan = 0x8100; // IEEE 802.1Q C-tag
    private const ushort EtherTypeQinQ = 0x88A8; // IEEE 802.1ad S-tag
    private const byte ProtocolUdp = 17;

    private readonly bool _ownAll;
    private readonly bool _passAll;
    private readonly bool _ownArpRequests;
    private readonly ulong[] _etherTypes = new ulong[65536 / 64];
    private readonly ulong[] _udpPorts = new ulong[65536 / 64];
    private readonly PrefixLevel<uint>[] _v4;
    private readonly PrefixLevel<UInt128>[] _v6;

    internal SteeringDecider(SteeringRules rules)
    {
        rules.Validate();
        _ownAll = rules.OwnAll;
        _passAll = rules.PassAll;
        _ownArpRequests = rules.OwnArpRequests;
        foreach (var etherType in rules.EtherTypes)
        {
            _etherTypes[etherType >> 6] |= 1UL << (etherType & 63);
        }

        foreach (var port in rules.UdpPorts)
        {
            _udpPorts[port >> 6] |= 1UL << (port & 63);
        }

        _v4 = BuildLevels<uint>(rules, AddressFamily.InterNetwork, static b => BinaryPrimitives.ReadUInt32BigEndian(b));
        _v6 = BuildLevels<UInt128>(rules, AddressFamily.InterNetworkV6, static b => BinaryPrimitives.ReadUInt128BigEndian(b));
    }

    /// <summary>True when the data plane owns <paramref name="frame"/> (an Ethernet frame).</summary>
    public bool Owns(ReadOnlySpan<byte> frame) => Decide(frame) == SteeringVerdict.Own;

    /// <summary>The steering verdict for <paramref name="frame"/> (an Ethernet frame); never throws.</summary>
    public SteeringVerdict Decide(ReadOnlySpan<byte> frame)
    {
        if (_passAll)
        {
            return SteeringVerdict.NotOwned;
        }

        if (_ownAll)
        {
            return SteeringVerdict.Own;
        }

        if (frame.Length < EthernetHeaderLength)
        {
            return SteeringVerdict.Malformed;
        }

        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        int offset = EthernetHeaderLength;
        for (int i = 0; i < MaxVlanTags && etherType is EtherTypeVlan or EtherTypeQinQ; i++)
        {
            // 802.1Q tag after the TPID: TCI (2 bytes), then the inner ethertype.
            if (frame.Length < offset + VlanTagLength)
            {
                return SteeringVerdict.Malformed;
            }

            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
            offset += VlanTagLength;
        }

        var ip = IpDecision.Next;
        if (etherType == EtherTypeIpv4)
        {
            ip = DecideIpv4(frame[offset..]);
        }
        else if (etherType == EtherTypeIpv6)
        {
            ip = DecideIpv6(frame[offset..]);
        }

        // ARP requests (RFC 826 op 1, after hrd, pro, hln, pln) when asked for; a header too short for op falls through.
        if (etherType == EtherTypeArp && _ownArpRequests && frame.Length >= offset + 8
            && BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 6)..]) == 1)
        {
            return SteeringVerdict.Own;
        }

        return ip switch
        {
            IpDecision.Own => SteeringVerdict.Own,
            IpDecision.Pass => SteeringVerdict.NotOwned,
            IpDecision.Malformed => SteeringVerdict.Malformed,
            _ => IsSet(_etherTypes, etherType) ? SteeringVerdict.Own : SteeringVerdict.NotOwned,
        };
    }

    private IpDecision DecideIpv4(ReadOnlySpan<byte> packet)
    {
        // RFC 791 section 3.1: version/IHL at 0, fragment offset at 6 (13 bits), protocol at 9, destination at 16.
        if (packet.Length < Ipv4MinHeaderLength || packet[0] >> 4 != 4 || (packet[0] & 0xF) < 5)
        {
            return IpDecision.Malformed;
        }

        int headerLength = (packet[0] & 0xF) * 4;
        if (packet.Length < headerLength)
        {
            return IpDecision.Malformed;
        }

        bool firstFragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x1FFF) == 0;
        if (packet[9] == ProtocolUdp && firstFragment)
        {
            if (packet.Length < headerLength + UdpHeaderLength)
            {
                return IpDecision.Malformed;
            }

            if (IsSet(_udpPorts, BinaryPrimitives.ReadUInt16BigEndian(packet[(headerLength + 2)..])))
            {
                return IpDecision.Own;
            }
        }

        return Lookup(_v4, BinaryPrimitives.ReadUInt32BigEndian(packet[16..]));
    }

    private IpDecision DecideIpv6(ReadOnlySpan<byte> packet)
    {
        // RFC 8200 section 3: next header at 6, destination at 24. Extension headers are not walked.
        if (packet.Length < Ipv6HeaderLength || packet[0] >> 4 != 6)
        {
            return IpDecision.Malformed;
        }

        if (packet[6] == ProtocolUdp)
        {
            if (packet.Length < Ipv6HeaderLength + UdpHeaderLength)
            {
                return IpDecision.Malformed;
            }

            if (IsSet(_udpPorts, BinaryPrimitives.ReadUInt16BigEndian(packet[(Ipv6HeaderLength + 2)..])))
            {
                return IpDecision.Own;
            }
        }

        return Lookup(_v6, BinaryPrimitives.ReadUInt128BigEndian(packet[24..]));
    }

    private static IpDecision Lookup<T>(PrefixLevel<T>[] levels, T address)
        where T : struct, IBinaryInteger<T>
    {
        // Levels are sorted longest first, so the first hit is the longest match.
        foreach (var level in levels)
        {
            int index = level.Keys.AsSpan().BinarySearch(address & level.Mask);
            if (index >= 0)
            {
                return level.Actions[index] == SteeringAction.Own ? IpDecision.Own : IpDecision.Pass;
            }
        }

        return IpDecision.Next;
    }

    private static bool IsSet(ulong[] bitmap, ushort value) => (bitmap[value >> 6] & (1UL << (value & 63))) != 0;

    private static PrefixLevel<T>[] BuildLevels<T>(SteeringRules rules, AddressFamily family, Func<ReadOnlySpan<byte>, T> read)
        where T : struct, IBinaryInteger<T>
    {
        int bits = family == AddressFamily.InterNetwork ? 32 : 128;
        var byLength = new SortedDictionary<int, SortedDictionary<T, SteeringAction>>(Comparer<int>.Create(static (a, b) => b.CompareTo(a)));
        Span<byte> bytes = stackalloc byte[16];
        foreach (var prefix in rules.Prefixes)
        {
            if (prefix.Network.BaseAddress.AddressFamily != family)
            {
                continue;
            }

            prefix.Network.BaseAddress.TryWriteBytes(bytes, out int written);
            int length = prefix.Network.PrefixLength;
            if (!byLength.TryGetValue(length, out var level))
            {
                byLength[length] = level = [];
            }

            level[read(bytes[..written]) & MaskOf<T>(length, bits)] = prefix.Action;
        }

        var levels = new PrefixLevel<T>[byLength.Count];
        int i = 0;
        foreach (var (length, entries) in byLength)
        {
            levels[i++] = new PrefixLevel<T>(MaskOf<T>(length, bits), [.. entries.Keys], [.. entries.Values]);
        }

        return levels;
    }

    private static T MaskOf<T>(int length, int bits)
        where T : struct, IBinaryInteger<T>
        => length == 0 ? T.Zero : T.AllBitsSet << (bits - length);

    private enum IpDecision
    {
        Next,
        Own,
        Pass,
        Malformed,
    }

    /// <summary>All prefixes of one length: masked addresses sorted for binary search, actions alongside.</summary>
    private readonly record struct PrefixLevel<T>(T Mask, T[] Keys, SteeringAction[] Actions);
}
