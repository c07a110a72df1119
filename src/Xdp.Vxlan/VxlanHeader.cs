using System.Buffers.Binary;

namespace Xdp.Vxlan;

/// <summary>
/// The 8-byte VXLAN header (RFC 7348 section 5) and its Group Based Policy extension (draft-smith-vxlan-group-policy,
/// the kernel's <c>gbp</c> option):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |G|R|R|R|I|R|R|R|R|D|R|R|A|R|R|R|        Group Policy ID        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          VXLAN Network Identifier (VNI)       |   Reserved    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Without GBP, everything but the I flag and the VNI is reserved: zero on transmission, ignored on receipt.
/// </summary>
public static class VxlanHeader
{
    public const int Length = 8;
    /// <summary>I flag: the VNI is valid (must be set).</summary>
    public const byte FlagI = 0x08;
    /// <summary>G flag: a Group Policy ID is carried (GBP).</summary>
    public const byte FlagG = 0x80;
    public const ushort DefaultPort = 4789;
    public const uint MaxVni = 0xFF_FFFF;

    /// <summary>Outer Ethernet + IPv4 + UDP + VXLAN.</summary>
    public const int OverheadV4 = 14 + 20 + 8 + Length;
    /// <summary>Outer Ethernet + IPv6 + UDP + VXLAN.</summary>
    public const int OverheadV6 = 14 + 40 + 8 + Length;

    public static uint ReadVni(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt32BigEndian(header.Slice(4)) >> 8;

    public static ushort ReadGroupPolicyId(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt16BigEndian(header.Slice(2));

    /// <summary>Writes the header: I flag and VNI, plus G flag and the policy ID when <paramref name="groupPolicyId"/> is given.</summary>
    public static void Write(Span<byte> header, uint vni, ushort? groupPolicyId)
    {
        header[0] = groupPolicyId is null ? FlagI : (byte)(FlagI | FlagG);
        header[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header.Slice(2), groupPolicyId ?? 0);
        BinaryPrimitives.WriteUInt32BigEndian(header.Slice(4), vni << 8);
    }
}
