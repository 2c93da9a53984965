using Mgmt.Dataplane.Packets;

namespace Mgmt.Dataplane.Fib;

/// <summary>
/// The next-hop sets of a FIB's multipath routes (VPP's load-balance objects): each set is an array of buckets,
/// one single-path decision per bucket, repeated by weight, and a flow's hash picks its bucket. Sets with the same
/// buckets are shared; a set is never changed or reused once published (workers may hold its index), so a route
/// whose paths change gets another set.
/// </summary>
public sealed class PathSets<T> where T : struct
{
    /// <summary>Most buckets a set has: weights are scaled down to fit.</summary>
    public const int MaxBuckets = 64;

    private T[][] _sets = new T[16][];
    private int _count = 1; // set 0: none
    private readonly Dictionary<string, int> _known = [];

    /// <summary>The buckets of a set.</summary>
    public T[] this[int set] => Volatile.Read(ref _sets)[set];

    /// <summary>The decision a flow hash picks from a set.</summary>
    public T Pick(int set, uint hash)
    {
        var buckets = Volatile.Read(ref _sets)[set];
        return buckets[FlowHash.Pick(hash, buckets.Length)];
    }

    /// <summary>The set of these paths with these weights (each at least 1), made if new; returns its index.</summary>
    public int Intern(IReadOnlyList<(T Path, int Weight)> paths)
    {
        var total = paths.Sum(p => (long)p.Weight);
        var buckets = new List<T>();
        foreach (var (path, weight) in paths.OrderBy(p => p.Path.ToString(), StringComparer.Ordinal))
        {
            var n = total <= MaxBuckets ? weight : Math.Max(1, (int)Math.Round((double)weight * MaxBuckets / total));
            for (var i = 0; i < n; i++) buckets.Add(path);
        }
        var key = string.Join(';', buckets);
        if (_known.TryGetValue(key, out var known)) return known;
        if (_count == _sets.Length)
        {
            var bigger = new T[_sets.Length * 2][];
            Array.Copy(_sets, bigger, _count);
            bigger[_count] = [.. buckets];
            Volatile.Write(ref _sets, bigger);
        }
        else Volatile.Write(ref _sets[_count], [.. buckets]);
        _known.Add(key, _count);
        return _count++;
    }

    public int Count => _count - 1;
}
