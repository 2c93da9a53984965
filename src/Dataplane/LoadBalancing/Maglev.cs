using System.Text;

namespace Mgmt.Dataplane.LoadBalancing;

/// <summary>A backend of a Maglev table: a stable name (its address and port, say) and a weight (0: drained, no entries).</summary>
public readonly record struct MaglevBackend(string Name, int Weight = 1);

/// <summary>
/// Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table of a prime size M whose entries name
/// backends, built so that each backend gets a share of entries in proportion to its weight and a change of the
/// backend set moves few entries besides those of the backends that came or went. A flow's hash modulo M picks
/// its entry.
/// </summary>
/// <remarks>
/// Each backend's preference list is a permutation of the entries, fixed by two hashes of its name (an offset and a
/// skip, so the permutation is offset + j * skip mod M); backends take turns claiming their next preferred free
/// entry until the table is full. Weights: in every round each backend earns its weight over the largest weight
/// as credit and claims an entry for each whole credit (so a backend of half the largest weight claims every other
/// round). The names hash with FNV-1a (64-bit) and a 64-bit finalizer, stable across processes and machines, so
/// that workers, restarts and peers build the same table from the same backends.
/// </remarks>
public static class Maglev
{
    /// <summary>The table size by default: a prime (Maglev's paper uses 65537 for up to a few hundred backends).</summary>
    public const int DefaultSize = 65537;

    /// <summary>The largest table size accepted.</summary>
    public const int MaxSize = 16_777_259; // a prime above 2^24

    /// <summary>
    /// The table: for each entry the index of its backend in <paramref name="backends"/>, or -1 for every entry when no
    /// backend has a weight. Refused: a size that is not a prime from 2 to <see cref="MaxSize"/>, fewer entries than
    /// weighted backends, duplicate names, negative weights.
    /// </summary>
    public static int[] Build(IReadOnlyList<MaglevBackend> backends, int size = DefaultSize)
    {
        ArgumentNullException.ThrowIfNull(backends);
        if (size is < 2 or > MaxSize || !IsPrime(size))
            throw new DataplaneException($"Maglev table size {size} is not a prime from 2 to {MaxSize}");
        var names = new HashSet<string>(StringComparer.Ordinal);
        var weighted = 0;
        var maxWeight = 0;
        foreach (var b in backends)
        {
            if (string.IsNullOrEmpty(b.Name)) throw new DataplaneException("a Maglev backend needs a name");
            if (!names.Add(b.Name)) throw new DataplaneException($"Maglev backend {b.Name} is given twice");
            if (b.Weight < 0) throw new DataplaneException($"Maglev backend {b.Name}: weight {b.Weight} is negative");
            if (b.Weight > 0) weighted++;
            maxWeight = Math.Max(maxWeight, b.Weight);
        }
        if (weighted > size) throw new DataplaneException($"a Maglev table of {size} entries cannot hold {weighted} backends");

        var table = new int[size];
        Array.Fill(table, -1);
        if (weighted == 0) return table;
        var n = backends.Count;
        var offset = new long[n];
        var skip = new long[n];
        var next = new long[n];      // how far down its permutation each backend is
        var credit = new double[n];
        for (var i = 0; i < n; i++)
        {
            var h = Fnv1a(backends[i].Name);
            offset[i] = (long)(Mix(h ^ 0x5851_f42d_4c95_7f2dUL) % (ulong)size);
            skip[i] = (long)(Mix(h ^ 0x1405_7b7e_f767_814fUL) % (ulong)(size - 1)) + 1;
        }
        var filled = 0;
        while (true)
        {
            for (var i = 0; i < n; i++)
            {
                var weight = backends[i].Weight;
                if (weight == 0) continue;
                credit[i] += (double)weight / maxWeight;
                for (; credit[i] >= 1; credit[i] -= 1)
                {
                    // The backend's next preferred entry that is still free.
                    long entry;
                    do entry = (offset[i] + next[i]++ * skip[i]) % size;
                    while (table[entry] >= 0);
                    table[entry] = i;
                    if (++filled == size) return table;
                }
            }
        }
    }

    /// <summary>The entry of a flow's hash.</summary>
    public static int Entry(uint flowHash, int size) => (int)(flowHash % (uint)size);

    private static ulong Fnv1a(string name)
    {
        var h = 0xcbf2_9ce4_8422_2325UL;
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            h ^= b;
            h *= 0x0000_0100_0000_01b3UL;
        }
        return h;
    }

    // A 64-bit finalizer (splitmix64's): the two hashes of a name come out unrelated.
    private static ulong Mix(ulong z)
    {
        z = (z ^ z >> 30) * 0xbf58_476d_1ce4_e5b9UL;
        z = (z ^ z >> 27) * 0x94d0_49bb_1331_11ebUL;
        return z ^ z >> 31;
    }

    private static bool IsPrime(int n)
    {
        if (n < 2) return false;
        if (n % 2 == 0) return n == 2;
        for (var d = 3; (long)d * d <= n; d += 2)
            if (n % d == 0) return false;
        return true;
    }
}
