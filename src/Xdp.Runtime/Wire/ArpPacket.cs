using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xdp.Runtime.Wire;

/// <summary>
/// A view over an ARP packet for IPv4 over Ethernet (RFC 826; RFC 5227 for probes and announcements):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Hardware Type (1)           |   Protocol Type (0x0800)      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  HLEN (6)     |  PLEN (4)     |   Operation (1 req, 2 reply)  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Sender Hardware Address (6) |  Sender Protocol Address (4)  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Target Hardware Address (6) |  Target Protocol Address (4)  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// <see cref="TryCreate"/> checks the length and that the packet is Ethernet/IPv4 (HTYPE 1, PTYPE 0x0800,
/// HLEN 6, PLEN 4) once; afterwards no accessor fails. Protocol addresses are uints in network byte order.
/// </summary>
public readonly ref struct ArpPacket
{
    private static class Field
    {
        public const int HardwareType = 0;
        public const int ProtocolType = 2;
        public const int HardwareLength = 4;
        public const int ProtocolLength = 5;
        public const int Operation = 6;
        public const int SenderHardware = 8;
        public const int SenderProtocol = 14;
        public const int TargetHardware = 18;
        public const int TargetProtocol = 24;
    }

    public const int Length = Field.TargetProtocol + 4;
    public const ushort HardwareTypeEthernet = 1;
    public const ushort OperationRequest = 1;
    public const ushort OperationReply = 2;

    private readonly Span<byte> _buffer;

    private ArpPacket(Span<byte> buffer) => _buffer = buffer;

    public static bool TryCreate(Span<byte> buffer, out ArpPacket packet)
    {
        packet = default;
        if (buffer.Length < Length) return false;
        // HTYPE, PTYPE, HLEN and PLEN compared as one 48-bit prefix: 0001 0800 06 04.
        if (BinaryPrimitives.ReadUInt32BigEndian(buffer) != 0x0001_0800u
            || BinaryPrimitives.ReadUInt16BigEndian(buffer.Slice(Field.HardwareLength)) != 0x0604)
        {
            return false;
        }
        packet = new ArpPacket(buffer);
        return true;
    }

    /// <summary>Writes the fixed Ethernet/IPv4 prefix and all fields into <paramref name="destination"/> (28 bytes).</summary>
    public static void Write(Span<byte> destination, ushort operation, MacAddress senderHardware, uint senderProtocol, MacAddress targetHardware, uint targetProtocol)
    {
        var bytes = destination.Slice(0, Length);
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x0001_0800u);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(Field.HardwareLength), 0x0604);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(Field.Operation), operation);
        senderHardware.WriteTo(bytes.Slice(Field.SenderHardware));
        Unsafe.WriteUnaligned(ref bytes[Field.SenderProtocol], senderProtocol);
        targetHardware.WriteTo(bytes.Slice(Field.TargetHardware));
        Unsafe.WriteUnaligned(ref bytes[Field.TargetProtocol], targetProtocol);
    }

    private ref byte At(int offset) => ref Unsafe.Add(ref MemoryMarshal.GetReference(_buffer), offset);

    public ushort Operation
    {
        get => BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref At(Field.Operation)));
        set => Unsafe.WriteUnaligned(ref At(Field.Operation), BinaryPrimitives.ReverseEndianness(value));
    }

    public bool IsRequest => Operation == OperationRequest;
    public bool IsReply => Operation == OperationReply;

    public MacAddress SenderHardwareAddress
    {
        get => MacAddress.Read(_buffer.Slice(Field.SenderHardware));
        set => value.WriteTo(_buffer.Slice(Field.SenderHardware));
    }

    /// <summary>Sender IPv4 address, network byte order as read from memory.</summary>
    public uint SenderProtocolAddress
    {
        get => Unsafe.ReadUnaligned<uint>(ref At(Field.SenderProtocol));
        set => Unsafe.WriteUnaligned(ref At(Field.SenderProtocol), value);
    }

    public MacAddress TargetHardwareAddress
    {
        get => MacAddress.Read(_buffer.Slice(Field.TargetHardware));
        set => value.WriteTo(_buffer.Slice(Field.TargetHardware));
    }

    /// <summary>Target IPv4 address, network byte order as read from memory.</summary>
    public uint TargetProtocolAddress
    {
        get => Unsafe.ReadUnaligned<uint>(ref At(Field.TargetProtocol));
        set => Unsafe.WriteUnaligned(ref At(Field.TargetProtocol), value);
    }

    /// <summary>RFC 5227 section 2.1.1 probe: sender protocol address 0.0.0.0.</summary>
    public bool IsProbe => SenderProtocolAddress == 0;

    /// <summary>Gratuitous ARP / announcement (RFC 5227 section 2.3): sender and target protocol addresses equal.</summary>
    public bool IsGratuitous => SenderProtocolAddress == TargetProtocolAddress;

    public Span<byte> Bytes => _buffer.Slice(0, Length);
}
