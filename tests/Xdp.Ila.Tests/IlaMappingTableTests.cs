using System.Runtime.Intrinsics;

namespace Xdp.Ila.Tests;

public class IlaMappingTableTests
{
    [Fact]
    public void One_million_random_entries_agree_with_a_dictionary()
    {
        const int Count = 1_000_000;
        var random = new Random(3);
        var reference = new Dictionary<ulong, IlaMapping>(Count);
        var builder = new IlaMappingTableBuilder();
        var modes = new[] { IlaChecksumMode.NeutralMap, IlaChecksumMode.NeutralMapAuto, IlaChecksumMode.AdjustTransport, IlaChecksumMode.NoAction };
        for (var attempt = 1; reference.Count < Count; attempt++)
        {
            // Half sequential-looking (low bits of a counter under a fixed type), half random: both hash well.
            var identifier = attempt % 2 == 0
                ? (0x2000UL << 48) | (uint)attempt
                : (ulong)random.NextInt64() & ~IlaIdentifier.CBit;
            var mapping = new IlaMapping((ulong)random.NextInt64(), modes[reference.Count % 4], reference.Count % 7 - 1);
            if (new IlaIdentifier(identifier).Validate(mapping.Mode) != IlaIdentifierError.None || reference.ContainsKey(identifier)) continue;
            reference.Add(identifier, mapping);
            builder.Add(new IlaIdentifier(identifier), mapping);
        }
        var table = builder.Build();
        Assert.Equal(Count, table.Count);
        Assert.True(table.Count <= table.Capacity * 3 / 4 + IlaMappingTable.GroupSize, "load factor bounded by 3/4");

        foreach (var (identifier, expected) in reference)
        {
            Assert.True(table.TryLookup(identifier, out var mapping));
            Assert.Equal(expected.Locator, mapping.Locator);
            Assert.Equal(expected.Mode, mapping.Mode);
            Assert.Equal(expected.NextHop, mapping.NextHop);
        }
        for (var i = 0; i < 200_000; i++)
        {
            var probe = (ulong)random.NextInt64();
            Assert.Equal(reference.ContainsKey(probe), table.TryLookup(probe, out _));
        }
    }

    [Fact]
    public void Vector_and_scalar_probes_find_the_same_slots()
    {
        var random = new Random(11);
        var builder = new IlaMappingTableBuilder();
        var keys = new List<ulong>();
        for (var i = 0; i < 50_000; i++)
        {
            var key = (ulong)random.NextInt64() | 1;
            if (builder.TryAdd(new IlaIdentifier(key), new IlaMapping((ulong)i, IlaChecksumMode.AdjustTransport), out _, out _)) keys.Add(key);
        }
        var table = builder.Build();
        for (var i = 0; i < 100_000; i++)
        {
            var key = i < keys.Count ? keys[i] : (ulong)random.NextInt64();
            var scalar = table.FindSlotScalar(key);
            if (i < keys.Count) Assert.True(scalar >= 0);
            if (Vector128.IsHardwareAccelerated) Assert.Equal(scalar, table.FindSlotVector128(key));
            if (Vector256.IsHardwareAccelerated) Assert.Equal(scalar, table.FindSlotVector256(key));
            Assert.Equal(scalar, table.FindSlot(key));
        }
    }

    [Fact]
    public void Colliding_keys_spill_into_the_next_groups_and_are_still_found()
    {
        // A tiny table is nearly always full groups: every lookup walks the probe chain.
        for (var n = 1; n <= 40; n++)
        {
            var builder = new IlaMappingTableBuilder();
            for (var i = 1; i <= n; i++) builder.Add(new IlaIdentifier((ulong)i), (ulong)i * 10, IlaChecksumMode.NoAction);
            var table = builder.Build();
            for (var i = 1; i <= n; i++)
            {
                Assert.True(table.TryLookup((ulong)i, out var mapping));
                Assert.Equal((ulong)i * 10, mapping.Locator);
            }
            Assert.False(table.TryLookup((ulong)n + 1, out _));
        }
    }

    [Fact]
    public void Identifier_zero_is_a_valid_key_outside_the_neutral_modes()
    {
        var table = new IlaMappingTableBuilder().Add(new IlaIdentifier(0), 42, IlaChecksumMode.AdjustTransport).Build();
        Assert.True(table.TryLookup(0, out var mapping));
        Assert.Equal(42UL, mapping.Locator);
        Assert.False(IlaMappingTable.Empty.TryLookup(0, out _));
        Assert.False(IlaMappingTable.Empty.TryLookup(12345, out _));
    }
}
