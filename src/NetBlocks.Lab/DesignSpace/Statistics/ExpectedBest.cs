using NetBlocks.Tensors;

namespace NetBlocks.DesignSpace.Statistics;

/// <summary>
/// Random-search efficiency: the expected lowest error among m models drawn at random from a space, estimated from the
/// sweep's n errors (m draws with replacement from their empirical distribution).
/// </summary>
public static class ExpectedBest
{
    /// <summary>
    /// Exact, from order statistics: with x_(1) ≤ … ≤ x_(n) (ties kept), P(min = x_(i)'s slot) = ((n−i+1)/n)^m − ((n−i)/n)^m,
    /// so E[min of m] = Σ_i x_(i)·[((n−i+1)/n)^m − ((n−i)/n)^m]. NaN for no errors.
    /// </summary>
    public static double Of(IReadOnlyList<double> errors, int m)
    {
        if (m < 1) throw new ArgumentOutOfRangeException(nameof(m), m, "at least one model drawn");
        var sorted = errors.Order().ToArray();
        int n = sorted.Length;
        if (n == 0) return double.NaN;
        double sum = 0;
        for (int i = 1; i <= n; i++)
            sum += sorted[i - 1] * (Math.Pow((n - i + 1) / (double)n, m) - Math.Pow((n - i) / (double)n, m));
        return sum;
    }

    /// <summary>The same expectation by simulation: the mean over <paramref name="repeats"/> seeded draws of m (a check on <see cref="Of"/>).</summary>
    public static double Sampled(IReadOnlyList<double> errors, int m, int repeats, ulong seed)
    {
        if (errors.Count == 0) return double.NaN;
        var rng = new RandomGenerator(seed);
        double total = 0;
        for (int r = 0; r < repeats; r++)
            total += Bootstrap.Resample(errors.Count, m, rng).Min(i => errors[i]);
        return total / repeats;
    }

    /// <summary>E[best of m] at m = 1, 2, 4, … up to n (and n itself), the curve a report draws.</summary>
    public static IReadOnlyList<(int M, double Error)> Curve(IReadOnlyList<double> errors)
    {
        var list = new List<(int, double)>();
        if (errors.Count == 0) return list;
        for (int m = 1; m < errors.Count; m *= 2) list.Add((m, Of(errors, m)));
        list.Add((errors.Count, Of(errors, errors.Count)));
        return list;
    }
}
