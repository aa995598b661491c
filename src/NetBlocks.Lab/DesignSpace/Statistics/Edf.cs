namespace NetBlocks.DesignSpace.Statistics;

/// <summary>
/// An empirical distribution function F(x) = (total weight of values ≤ x) / (total weight), over finite values with
/// non-negative weights (all 1 for the plain EDF). Ties are one step whose height is the tied values' total weight:
/// {0.2, 0.2, 0.2, 0.9} gives F(0.2) = 0.75. Chart, table and JSON read the same <see cref="Steps"/>.
/// </summary>
public sealed class Edf
{
    private readonly double[] xs;
    private readonly double[] fs;

    /// <summary>The sorted values the EDF was built from (ties kept).</summary>
    public IReadOnlyList<double> Values { get; }

    /// <summary>Number of values (not of steps).</summary>
    public int N => Values.Count;

    /// <summary>One point per distinct value: the value and F at it (the top of its step).</summary>
    public IReadOnlyList<(double X, double F)> Steps { get; }

    /// <exception cref="ArgumentException">a non-finite value, a negative or non-finite weight, mismatched lengths, or all weights zero.</exception>
    public Edf(IReadOnlyList<double> values, IReadOnlyList<double>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (weights is not null && weights.Count != values.Count)
            throw new ArgumentException($"an EDF needs one weight per value: {values.Count} values, {weights.Count} weights");
        for (int i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i])) throw new ArgumentException($"an EDF takes finite values; value {i} is {values[i]}");
            if (weights is not null && !(weights[i] >= 0 && double.IsFinite(weights[i])))
                throw new ArgumentException($"EDF weights must be finite and non-negative; weight {i} is {weights[i]}");
        }
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ThenBy(i => i).ToArray();
        Values = [.. order.Select(i => values[i])];
        double total = weights is null ? values.Count : order.Sum(i => weights[i]);
        if (values.Count > 0 && !(total > 0)) throw new ArgumentException("an EDF's weights must not all be zero");
        var steps = new List<(double, double)>();
        double cumulative = 0;
        for (int k = 0; k < order.Length; k++)
        {
            cumulative += weights is null ? 1 : weights[order[k]];
            if (k + 1 < order.Length && values[order[k + 1]] == values[order[k]]) continue;
            // The last step is exactly 1, whatever the rounding of the sum.
            steps.Add((values[order[k]], k + 1 == order.Length ? 1.0 : cumulative / total));
        }
        Steps = steps;
        xs = [.. steps.Select(s => s.Item1)];
        fs = [.. steps.Select(s => s.Item2)];
    }

    /// <summary>F(x): 0 below the smallest value, 1 from the largest on (0 for an empty EDF).</summary>
    public double At(double x)
    {
        int i = Array.BinarySearch(xs, x);
        if (i >= 0) return fs[i];
        i = ~i; // first step above x
        return i == 0 ? 0 : fs[i - 1];
    }

    /// <summary>The smallest value v with F(v) ≥ q (the EDF's inverse; q = 0.5 is the lower median). NaN for an empty EDF.</summary>
    public double Quantile(double q)
    {
        if (!(q > 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "a quantile level is in (0, 1]");
        for (int i = 0; i < fs.Length; i++)
            if (fs[i] >= q - 1e-12) return xs[i];
        return xs.Length == 0 ? double.NaN : xs[^1];
    }

    /// <summary>The staircase a chart draws: (smallest value, 0), then every step.</summary>
    public IReadOnlyList<(double X, double Y)> ChartPoints() =>
        Steps.Count == 0 ? [] : [(Steps[0].X, 0), .. Steps];
}
