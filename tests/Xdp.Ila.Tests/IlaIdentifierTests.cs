namespace Xdp.Ila.Tests;

public class IlaIdentifierTests
{
    [Theory]
    [InlineData("1:0:0:2", 0x0001_0000_0000_0002UL, "1:0:0:2")]
    [InlineData("2000:0:1:87", 0x2000_0000_0001_0087UL, "2000:0:1:87")]
    [InlineData("ffff:FFFF:abcd:0", 0xFFFF_FFFF_ABCD_0000UL, "ffff:ffff:abcd:0")]
    [InlineData("0000:0000:0000:0001", 1UL, "0:0:0:1")]
    public void Parses_four_hex_groups_and_formats_them_back_minimally(string text, ulong value, string formatted)
    {
        Assert.True(IlaIdentifier.TryParse(text, out var identifier));
        Assert.Equal(value, identifier.Value);
        Assert.Equal(formatted, identifier.ToString());
        Assert.Equal(identifier, IlaIdentifier.Parse(identifier.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1:0:2")]
    [InlineData("1:0:0:0:2")]
    [InlineData("1::2")]
    [InlineData("1:0:0:")]
    [InlineData("12345:0:0:1")]
    [InlineData("g:0:0:1")]
    [InlineData("1:0:0:2 ")]
    [InlineData("+1:0:0:2")]
    public void Refuses_anything_but_four_groups(string text)
    {
        Assert.False(IlaIdentifier.TryParse(text, out _));
        Assert.Throws<FormatException>(() => IlaIdentifier.Parse(text));
    }

    [Fact]
    public void Type_c_bit_and_value_are_the_draft_fields()
    {
        // Kernel ila.rst example identifier: type 1 (LUID), C-bit clear.
        var sir = IlaIdentifier.Parse("2000:0:1:87");
        Assert.Equal(IlaIdentifierType.LocallyUnique, sir.Type);
        Assert.False(sir.ChecksumNeutral);
        Assert.Equal(0x0000_0000_0001_0087UL, sir.FormattedValue);
        Assert.Equal(0x87, sir.Low16);

        var ila = IlaIdentifier.Parse("3000:0:1:333");
        Assert.Equal(IlaIdentifierType.LocallyUnique, ila.Type);
        Assert.True(ila.ChecksumNeutral);

        var iid = IlaIdentifier.Create(IlaIdentifierType.InterfaceId, 5);
        Assert.Equal("0:0:0:5", iid.ToString());
        Assert.Equal("a000:0:0:7", IlaIdentifier.Create(IlaIdentifierType.NonLocalAddress, 7).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => IlaIdentifier.Create(IlaIdentifierType.LocallyUnique, 1UL << 60));
    }

    [Theory]
    [InlineData("1:0:0:0", IlaChecksumMode.NeutralMap, IlaIdentifierError.LowBitsZero)]
    [InlineData("1:0:0:ffff", IlaChecksumMode.NeutralMap, IlaIdentifierError.LowBitsAllOnes)]
    [InlineData("1:0:0:0", IlaChecksumMode.NeutralMapAuto, IlaIdentifierError.LowBitsZero)]
    [InlineData("1:0:0:ffff", IlaChecksumMode.NeutralMapAuto, IlaIdentifierError.LowBitsAllOnes)]
    [InlineData("3000:0:1:87", IlaChecksumMode.NeutralMap, IlaIdentifierError.CBitInSirIdentifier)]
    [InlineData("3000:0:1:87", IlaChecksumMode.NeutralMapAuto, IlaIdentifierError.None)] // plain identifier: no C-bit
    [InlineData("1:0:0:0", IlaChecksumMode.AdjustTransport, IlaIdentifierError.None)]
    [InlineData("1:0:0:ffff", IlaChecksumMode.NoAction, IlaIdentifierError.None)]
    [InlineData("1:0:0:2", IlaChecksumMode.NeutralMap, IlaIdentifierError.None)]
    [InlineData("1:0:0:fffe", IlaChecksumMode.NeutralMap, IlaIdentifierError.None)]
    [InlineData("1:0:0:1", IlaChecksumMode.NeutralMapAuto, IlaIdentifierError.None)]
    public void Validation_names_the_reason(string text, IlaChecksumMode mode, IlaIdentifierError expected)
    {
        Assert.Equal(expected, IlaIdentifier.Parse(text).Validate(mode));
    }

    [Fact]
    public void Refused_low_bits_really_do_not_round_trip_which_is_why_they_are_refused()
    {
        // 0x0000 comes back as 0xFFFF (the fold's representation of one's-complement zero).
        var packet = IlaPackets.Ipv6("2001:db8:5151:0:1:0:0:0", IlaPackets.Transport.Udp);
        var original = (byte[])packet.Clone();
        IlaTranslator.RewriteToIla(packet, IlaPrefix.Parse("2001:db8:b::"), IlaChecksumMode.NeutralMapAuto);
        IlaTranslator.RewriteToSir(packet, IlaPrefix.Parse("2001:db8:5151::"), IlaChecksumMode.NeutralMapAuto);
        Assert.NotEqual(original, packet);
        Assert.Equal("2001:db8:5151:0:1:0:0:ffff", IlaPackets.Destination(packet));
    }

    [Fact]
    public void Builder_refuses_what_the_validator_refuses_naming_it()
    {
        var builder = new IlaMappingTableBuilder();
        var error = Assert.Throws<ArgumentException>(() => builder.Add(IlaIdentifier.Parse("1:0:0:ffff"), 1, IlaChecksumMode.NeutralMap));
        Assert.Contains("low-bits-all-ones", error.Message, StringComparison.Ordinal);
        Assert.False(builder.TryAdd(IlaIdentifier.Parse("1:0:0:0"), new IlaMapping(1, IlaChecksumMode.NeutralMapAuto), out var reason, out _));
        Assert.Equal(IlaIdentifierError.LowBitsZero, reason);
        builder.Add(IlaIdentifier.Parse("1:0:0:0"), 1, IlaChecksumMode.AdjustTransport);
        Assert.False(builder.TryAdd(IlaIdentifier.Parse("1:0:0:0"), new IlaMapping(2, IlaChecksumMode.NoAction), out _, out var duplicate));
        Assert.True(duplicate);
        Assert.Equal(1, builder.Count);
    }

    [Theory]
    [InlineData("2001:0:87:0", 0x2001_0000_0087_0000UL)]
    [InlineData("2001:db8:b::", 0x2001_0DB8_000B_0000UL)]
    [InlineData("2001:db8:b::/64", 0x2001_0DB8_000B_0000UL)]
    public void Prefixes_parse_in_both_forms(string text, ulong expected)
    {
        Assert.Equal(expected, IlaPrefix.Parse(text));
    }

    [Theory]
    [InlineData("2001:db8:b::1")]
    [InlineData("198.18.0.1")]
    [InlineData("nonsense")]
    public void Prefixes_with_low_bits_or_not_ipv6_are_refused(string text)
    {
        Assert.False(IlaPrefix.TryParse(text, out _));
    }
}
