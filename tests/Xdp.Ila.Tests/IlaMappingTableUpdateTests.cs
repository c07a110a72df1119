namespace Xdp.Ila.Tests;

/// <summary>In-place changes of a live table: one writer, lock-free readers (see <see cref="IlaMappingTable"/>).</summary>
public class IlaMappingTableUpdateTests
{
    [Fact]
    public void Set_adds_changes_and_reports_no_change()
    {
        var table = new IlaMappingTableBuilder().Add(new IlaIdentifier(1), 10, IlaChecksumMode.NoAction).Build();
        Assert.True(table.Set(2, new IlaMapping(20, IlaChecksumMode.AdjustTransport)));
        Assert.True(table.Set(1, new IlaMapping(11, IlaChecksumMode.NoAction)));
        Assert.False(table.Set(1, new IlaMapping(11, IlaChecksumMode.NoAction)));
        Assert.True(table.Set(1, new IlaMapping(11, IlaChecksumMode.NeutralMapAuto, 3)));
        Assert.Equal(2, table.Count);
        Assert.True(table.TryLookup(1, out var one));
        Assert.Equal((11UL, IlaChecksumMode.NeutralMapAuto, 3), (one.Locator, one.Mode, one.NextHop));
        Assert.True(table.TryLookup(2, out var two));
        Assert.Equal((20UL, IlaChecksumMode.AdjustTransport, -1), (two.Locator, two.Mode, two.NextHop));
    }

    [Fact]
    public void A_removed_identifier_is_a_tombstone_whose_slot_comes_back_with_it()
    {
        var builder = new IlaMappingTableBuilder();
        for (var i = 1UL; i <= 1000; i++) builder.Add(new IlaIdentifier(i), i * 10, IlaChecksumMode.NoAction);
        var table = builder.Build();
        var capacity = table.Capacity;
        var slot = table.FindSlot(500);

        Assert.True(table.Remove(500));
        Assert.False(table.Remove(500));
        Assert.False(table.TryLookup(500, out _));
        Assert.Equal(999, table.Count);
        Assert.Equal(slot, table.FindSlot(500)); // the key stays: chains through it are not broken
        for (var i = 1UL; i <= 1000; i++) Assert.Equal(i != 500, table.TryLookup(i, out _));

        Assert.True(table.Set(500, new IlaMapping(5, IlaChecksumMode.AdjustTransport)));
        Assert.Equal(slot, table.FindSlot(500));
        Assert.True(table.TryLookup(500, out var back));
        Assert.Equal(5UL, back.Locator);
        Assert.Equal((1000, capacity, 0), (table.Count, table.Capacity, table.Resizes));
    }

    [Fact]
    public void The_identifier_zero_is_added_changed_and_removed_like_any_other()
    {
        var table = new IlaMappingTableBuilder().Build();
        Assert.False(table.TryLookup(0, out _));
        Assert.True(table.Set(0, new IlaMapping(7, IlaChecksumMode.NoAction)));
        Assert.True(table.TryLookup(0, out var zero));
        Assert.Equal(7UL, zero.Locator);
        Assert.True(table.Set(0, new IlaMapping(8, IlaChecksumMode.NoAction)));
        Assert.True(table.TryLookup(0, out zero));
        Assert.Equal(8UL, zero.Locator);
        Assert.True(table.Remove(0));
        Assert.False(table.TryLookup(0, out _));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Growth_moves_to_a_larger_storage_and_keeps_every_entry()
    {
        var table = new IlaMappingTableBuilder().Add(new IlaIdentifier(0), 1, IlaChecksumMode.NoAction).Build();
        var random = new Random(17);
        var reference = new Dictionary<ulong, ulong> { [0] = 1 };
        for (var added = 0; reference.Count < 100_000; added++)
        {
            var key = (ulong)random.NextInt64();
            var locator = (ulong)random.NextInt64();
            reference[key] = locator;
            table.Set(key, new IlaMapping(locator, IlaChecksumMode.NoAction));
            // Churn: tombstones count against the load bound and are dropped by the next growth.
            if (added % 3 == 0)
            {
                Assert.True(table.Remove(key));
                reference.Remove(key);
            }
        }
        Assert.True(table.Resizes > 5, $"resized {table.Resizes} times");
        Assert.Equal(reference.Count, table.Count);
        Assert.True(table.Count <= table.Capacity * 3 / 4);
        foreach (var (key, locator) in reference)
        {
            Assert.True(table.TryLookup(key, out var mapping));
            Assert.Equal(locator, mapping.Locator);
        }
    }

    [Fact]
    public void Reset_replaces_the_whole_content()
    {
        var table = new IlaMappingTableBuilder().Add(new IlaIdentifier(1), 10, IlaChecksumMode.NoAction).Build();
        table.Reset(new IlaMappingTableBuilder().Add(new IlaIdentifier(2), 20, IlaChecksumMode.NoAction));
        Assert.False(table.TryLookup(1, out _));
        Assert.True(table.TryLookup(2, out var two));
        Assert.Equal(20UL, two.Locator);
        Assert.Equal((1, 1), (table.Count, table.Resizes));
    }

    [Fact]
    public void The_shared_empty_table_refuses_writes() =>
        Assert.Throws<InvalidOperationException>(() => IlaMappingTable.Empty.Set(1, new IlaMapping(1, IlaChecksumMode.NoAction)));

    /// <summary>
    /// One writer changes locators (the 8-byte store), modes and next hops (the seqlock), removes and re-adds, and adds
    /// enough new identifiers to grow the table several times, while a reader looks every identifier up. Each value
    /// the writer writes is self-describing (locator = identifier &lt;&lt; 16 | generation, mode and next hop derived
    /// from the generation), so any mix of two writes is detected. Identifiers never removed must never be missed.
    /// </summary>
    [Fact]
    public void A_reader_sees_the_old_or_the_new_mapping_never_a_mix_while_one_writer_changes_and_grows_the_table()
    {
        const int Stable = 2_000, Churned = 2_000;
        var builder = new IlaMappingTableBuilder();
        for (var k = 1UL; k <= Stable + Churned; k++) builder.Add(new IlaIdentifier(k), Value(k, 0));
        var table = builder.Build();
        var stop = 0;
        long lookups = 0, bad = 0, missedStable = 0;
        string? firstBad = null;

        var reader = new Thread(() =>
        {
            var k = 1UL;
            var grown = 0UL;
            while (Volatile.Read(ref stop) == 0 || grown < 10)
            {
                if (Volatile.Read(ref stop) != 0) grown++;
                for (var i = 0; i < 256; i++)
                {
                    k = k % (Stable + Churned + 50_000) + 1;
                    Volatile.Write(ref lookups, lookups + 1);
                    if (table.TryLookup(k, out var m))
                    {
                        var generation = m.Locator & 0xFFFF;
                        if (m.Locator >> 16 != k || m.Mode != (IlaChecksumMode)(generation % 4) || m.NextHop != (int)(generation % 5) - 1)
                        {
                            bad++;
                            firstBad ??= $"identifier {k}: locator {m.Locator:x} mode {m.Mode} next hop {m.NextHop}";
                        }
                    }
                    else if (k <= Stable)
                    {
                        missedStable++;
                    }
                }
            }
        }) { IsBackground = true };
        reader.Start();

        var resizesBefore = table.Resizes;
        var generation = 1UL;
        // At least 40 rounds, and on until the reader has had its share of the CPU (the machine may be busy).
        for (var round = 0; round < 2_000 && (round < 40 || Volatile.Read(ref lookups) < 200_000); round++, generation++)
        {
            for (var k = 1UL; k <= Stable; k++) table.Set(k, Value(k, generation));
            for (var k = Stable + 1UL; k <= Stable + Churned; k++)
            {
                if ((k + (ulong)round) % 2 == 0) table.Remove(k);
                else table.Set(k, Value(k, generation));
            }
            // New identifiers: 50 000 over the rounds, several growths of the storage.
            for (var n = 0; n < (round < 40 ? 1_250 : 0); n++)
            {
                var k = (ulong)(Stable + Churned + round * 1_250 + n + 1);
                table.Set(k, Value(k, generation));
            }
        }
        Volatile.Write(ref stop, 1);
        reader.Join();

        Assert.True(table.Resizes - resizesBefore >= 3, $"grew {table.Resizes - resizesBefore} times");
        Assert.True(lookups >= 200_000, $"{lookups} lookups");
        Assert.True(bad == 0, $"{bad} torn reads, first: {firstBad}");
        Assert.Equal(0, missedStable);

        static IlaMapping Value(ulong k, ulong generation) =>
            new((k << 16) | generation, (IlaChecksumMode)(generation % 4), (int)(generation % 5) - 1);
    }
}
