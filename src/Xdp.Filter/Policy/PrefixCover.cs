namespace Xdp.Filter.Policy;

/// <summary>A run of keys [First, Last] with one value: 0 no rule, 1 allow, 2 deny, 3 fall back to the any-identity entries.</summary>
internal readonly record struct KeySegment(uint First, uint Last, byte Value);

/// <summary>A masked prefix (Value with the low Width-Length bits zero) and its value.</summary>
internal readonly record struct PrefixEntry(uint Value, int Length, byte Verdict);

/// <summary>
/// Turns a piecewise-constant function over a <c>width</c>-bit key space into longest-prefix-match entries:
/// a port range becomes masked port prefixes. Walks the binary trie top-down: a node whose keys all have one
/// value costs one entry (none when its nearest emitted ancestor already gives that value); a mixed node emits its
/// majority value when that differs from the inherited one, so "all TCP ports but 80" is two entries, not 32.
/// Nested entries are resolved by the lookup's longest match, as in Cilium's LPM policy map.
/// </summary>
internal static class PrefixCover
{
    public const byte NoRule = 0;
    public const byte AllowValue = 1;
    public const byte DenyValue = 2;
    public const byte Fallback = 3;

    /// <param name="segments">Sorted, contiguous, covering [0, 2^width - 1].</param>
    /// <param name="miss">The value a key no entry covers gets (what the lookup does on a miss).</param>
    public static void Cover(List<KeySegment> segments, int width, byte miss, List<PrefixEntry> output)
    {
        if (width is < 1 or > 31) throw new ArgumentOutOfRangeException(nameof(width));
        Node(segments, width, 0, 0, miss, output);
    }

    private static void Node(List<KeySegment> segments, int width, uint first, int length, byte inherited, List<PrefixEntry> output)
    {
        var size = 1u << (width - length);
        var last = first + size - 1;
        var index = Find(segments, first);
        var segment = segments[index];
        if (segment.Last >= last)
        {
            if (segment.Value != inherited) output.Add(new PrefixEntry(first, length, segment.Value));
            return;
        }
        Span<ulong> tally = stackalloc ulong[4];
        for (var i = index; i < segments.Count && segments[i].First <= last; i++)
        {
            var s = segments[i];
            tally[s.Value] += (ulong)Math.Min(s.Last, last) - Math.Max(s.First, first) + 1;
        }
        var majority = inherited;
        for (byte value = 0; value < 4; value++)
            if (tally[value] > tally[majority]) majority = value;
        if (majority != inherited)
        {
            output.Add(new PrefixEntry(first, length, majority));
            inherited = majority;
        }
        Node(segments, width, first, length + 1, inherited, output);
        Node(segments, width, first + (size >> 1), length + 1, inherited, output);
    }

    private static int Find(List<KeySegment> segments, uint key)
    {
        int lo = 0, hi = segments.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (segments[mid].Last < key) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// A remote identity's function from its own rules' segments and the any-identity segments: where its own rules
    /// say nothing, <see cref="Fallback"/> (the lookup goes on to the any-identity entries); where they do, deny if
    /// either denies, else allow. <paramref name="differs"/>: some key's value differs from the any-identity one
    /// (otherwise the identity needs no entries at all).
    /// </summary>
    public static List<KeySegment> Overlay(List<KeySegment> own, List<KeySegment> any, out bool differs)
    {
        var result = new List<KeySegment>();
        differs = false;
        foreach (var o in own)
        {
            if (o.Value == NoRule)
            {
                Append(result, o.First, o.Last, Fallback);
                continue;
            }
            for (var i = Find(any, o.First); i < any.Count && any[i].First <= o.Last; i++)
            {
                var a = any[i];
                var value = o.Value == DenyValue || a.Value == DenyValue ? DenyValue : AllowValue;
                differs |= value != a.Value;
                Append(result, Math.Max(a.First, o.First), Math.Min(a.Last, o.Last), value);
            }
        }
        return result;
    }

    private static void Append(List<KeySegment> segments, uint first, uint last, byte value)
    {
        if (segments.Count > 0 && segments[^1].Value == value) segments[^1] = segments[^1] with { Last = last };
        else segments.Add(new KeySegment(first, last, value));
    }

    /// <summary>
    /// Segments from allow/deny key intervals: deny where any deny interval covers a key, else allow where an allow
    /// interval does, else no rule. Adjacent equal runs are merged.
    /// </summary>
    public static List<KeySegment> Segments(List<(uint First, uint Last, bool Deny)> intervals, int width)
    {
        var max = (1u << width) - 1;
        var events = new List<(uint Key, int Allow, int Deny)>(intervals.Count * 2 + 1);
        foreach (var (first, last, deny) in intervals)
        {
            events.Add((first, deny ? 0 : 1, deny ? 1 : 0));
            if (last < max) events.Add((last + 1, deny ? 0 : -1, deny ? -1 : 0));
        }
        events.Sort((a, b) => a.Key.CompareTo(b.Key));
        var segments = new List<KeySegment>();
        int allow = 0, denyCount = 0, e = 0;
        uint start = 0;
        while (true)
        {
            while (e < events.Count && events[e].Key == start)
            {
                allow += events[e].Allow;
                denyCount += events[e].Deny;
                e++;
            }
            var next = e < events.Count ? events[e].Key : max + 1UL;
            var value = denyCount > 0 ? DenyValue : allow > 0 ? AllowValue : NoRule;
            var end = (uint)(next - 1);
            if (segments.Count > 0 && segments[^1].Value == value) segments[^1] = segments[^1] with { Last = end };
            else segments.Add(new KeySegment(start, end, value));
            if (next > max) break;
            start = (uint)next;
        }
        return segments;
    }
}
