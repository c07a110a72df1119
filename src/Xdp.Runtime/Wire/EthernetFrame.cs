using System.Buffers.Binary;

namespace Xdp.Runtime.Wire;

/// <summary>
/// A view over an Ethernet II frame (IEEE 802.3 clause 3.2), with up to <see cref="MaxVlanTags"/> IEEE 802.1Q /
/// 802.1ad tags skipped to find the EtherType of the payload.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Destination MAC (6 octets)                 |
/// +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                               |                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
/// |                      Source MAC (6 octets)                    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   EtherType / TPID (0x8100)   |  [PCP|DEI| VLAN ID, 802.1Q]   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     [inner EtherType]         |           Payload ...         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Contract (as smoltcp's): <see cref="TryCreate"/> checks the length once, covering every tag it skips;
/// afterwards no accessor fails.
/// </summary>
public readonly ref struct EthernetFrame
{
    private static class Field
    {
        public const int Destination = 0;
        public const int Source = 6;
        public const int EtherType = 12;
    }

    /// <summary>Untagged header length.</summary>
    public const int HeaderLength = Field.EtherType + 2;
    /// <summary>An 802.1Q / 802.1ad tag: TPID (2) + TCI (2).</summary>
    public const int VlanTagLength = 4;
    /// <summary>Constant bound on the tag loop: one S-tag and one C-tag (802.1ad).</summary>
    public const int MaxVlanTags = 2;

    private readonly Span<byte> _buffer;
    private readonly int _payloadOffset;
    private readonly ushort _etherType;

    private EthernetFrame(Span<byte> buffer, int payloadOffset, ushort etherType)
    {
        _buffer = buffer;
        _payloadOffset = payloadOffset;
        _etherType = etherType;
    }

    /// <summary>
    /// Checks that <paramref name="buffer"/> holds an Ethernet header and all its VLAN tags (at most
    /// <see cref="MaxVlanTags"/>). False for a short frame or more tags than the bound.
    /// </summary>
    public static bool TryCreate(Span<byte> buffer, out EthernetFrame frame)
    {
        frame = default;
        if (buffer.Length < HeaderLength) return false;
        var offset = Field.EtherType;
        var type = BinaryPrimitives.ReadUInt16BigEndian(buffer.Slice(offset));
        for (var tags = 0; type is Wire.EtherType.Vlan or Wire.EtherType.QinQ; tags++)
        {
            if (tags == MaxVlanTags) return false;
            offset += VlanTagLength;
            if (buffer.Length < offset + 2) return false;
            type = BinaryPrimitives.ReadUInt16BigEndian(buffer.Slice(offset));
        }
        frame = new EthernetFrame(buffer, offset + 2, type);
        return true;
    }

    public MacAddress Destination
    {
        get => MacAddress.Read(_buffer.Slice(Field.Destination));
        set => value.WriteTo(_buffer.Slice(Field.Destination));
    }

    public MacAddress Source
    {
        get => MacAddress.Read(_buffer.Slice(Field.Source));
        set => value.WriteTo(_buffer.Slice(Field.Source));
    }

    /// <summary>The EtherType of the payload, after any VLAN tags (host byte order).</summary>
    public ushort EtherType => _etherType;

    /// <summary>The EtherType / TPID field right after the source MAC (0x8100 for a tagged frame).</summary>
    public ushort OuterEtherType => BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(Field.EtherType));

    /// <summary>Number of VLAN tags skipped.</summary>
    public int VlanTagCount => (_payloadOffset - HeaderLength) / VlanTagLength;

    /// <summary>VLAN ID (12 bits) of the outermost tag; 0 when untagged.</summary>
    public ushort OuterVlanId => VlanTagCount == 0 ? (ushort)0 : (ushort)(BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(HeaderLength)) & 0x0FFF);

    /// <summary>Offset of the first payload byte from the start of the frame.</summary>
    public int PayloadOffset => _payloadOffset;

    public Span<byte> Payload => _buffer.Slice(_payloadOffset);

    public Span<byte> Bytes => _buffer;
}
