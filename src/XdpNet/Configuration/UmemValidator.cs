namespace XdpNet.Configuration;

/// <summary>
/// Umem. Rules:
/// <list type="bullet">
/// <item>FrameSize: a power of two in 2048 (XDP_UMEM_MIN_CHUNK_SIZE) .. the page size (aligned chunks cannot cross a page).</item>
/// <item>Headroom: 0 .. FrameSize − 256 (XDP_PACKET_HEADROOM) − 1514, so a standard 1500-MTU frame always fits behind it;
/// a multiple of 8 so pushed outer headers keep the packet's alignment.</item>
/// <item>Frames: a power of two and at least sockets × (Rings:Fill + Rings:Tx), so every socket's fill ring can be fully
/// posted while every TX ring is full and the free pool never runs dry; FrameSize × Frames ≤ 2 GiB.</item>
/// </list>
/// </summary>
internal sealed class UmemValidator : IConfigSectionValidator
{
    public static bool IsFrameSizeValid(UmemConfig umem, ValidationLimits limits) =>
        ConfigSyntax.IsPowerOfTwo(umem.FrameSize) && umem.FrameSize >= UmemRules.MinFrameSize && umem.FrameSize <= limits.PageSize;

    public static bool IsLayoutValid(UmemConfig umem, ValidationLimits limits) =>
        IsFrameSizeValid(umem, limits) && umem.Headroom >= 0 && umem.Headroom % 8 == 0
        && umem.Headroom <= umem.FrameSize - UmemRules.XdpPacketHeadroom - UmemRules.StandardFrame;

    public void Validate(ValidationContext context)
    {
        var umem = context.Config.Umem;
        var pageSize = context.Limits.PageSize;
        var frameSizeOk = IsFrameSizeValid(umem, context.Limits);
        if (!frameSizeOk)
        {
            context.Add("Umem:FrameSize", $"{umem.FrameSize} must be a power of two between {UmemRules.MinFrameSize} and the page size ({pageSize})");
        }

        var maxHeadroom = umem.FrameSize - UmemRules.XdpPacketHeadroom - UmemRules.StandardFrame;
        if (umem.Headroom < 0 || (frameSizeOk && umem.Headroom > maxHeadroom))
        {
            context.Add("Umem:Headroom", $"{umem.Headroom} must be between 0 and {Math.Max(maxHeadroom, 0)} (frame size {umem.FrameSize} − {UmemRules.XdpPacketHeadroom} XDP_PACKET_HEADROOM − {UmemRules.StandardFrame}-byte standard frame)");
        }
        else if (umem.Headroom % 8 != 0)
        {
            context.Add("Umem:Headroom", $"{umem.Headroom} must be a multiple of 8");
        }

        var rings = context.Config.Rings;
        var needed = (long)context.SocketCount * ((long)Math.Max(rings.Fill, 0) + Math.Max(rings.Tx, 0));
        if (!ConfigSyntax.IsPowerOfTwo(umem.Frames))
        {
            context.Add("Umem:Frames", $"{umem.Frames} must be a power of two");
        }
        else if (umem.Frames < needed)
        {
            context.Add("Umem:Frames", $"{umem.Frames} is fewer than the {needed} the rings can hold at once ({context.SocketCount} socket(s) × (Rings:Fill {rings.Fill} + Rings:Tx {rings.Tx}))");
        }
        else if (frameSizeOk && (long)umem.Frames * umem.FrameSize > UmemRules.MaxUmemBytes)
        {
            context.Add("Umem:Frames", $"{umem.Frames} × {umem.FrameSize} bytes exceeds the {UmemRules.MaxUmemBytes >> 30} GiB UMEM limit");
        }
    }
}
