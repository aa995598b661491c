namespace NetBlocks.DesignSpace.Statistics;

/// <summary>Percentiles by linear interpolation between order statistics (numpy's default, which pycls uses).</summary>
public static class Percentile
{
    /// <summary>The q-th quantile (q in [0, 1]) of <paramref name="sorted"/> (ascending): position q·(n−1), interpolated.</summary>
    public static double OfSorted(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) throw new ArgumentException("a percentile of no values");
        if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "a quantile level is in [0, 1]");
        double pos = q * (sorted.Count - 1);
        int i = (int)Math.Floor(pos);
        return i + 1 < sorted.Count ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
    }
}
