namespace NetBlocks.DesignSpace.Statistics;

/// <summary>What a complexity-normalized EDF is normalized over.</summary>
public enum Complexity { Macs, Params }

/// <summary>
/// k equal-width bins over [Low, High] of a complexity measure. A value equal to High falls in the last bin; values
/// outside [Low, High] are clamped into the first or last bin.
/// </summary>
public sealed record ComplexityBins(Complexity Measure, int K, double Low, double High)
{
    /// <summary>The most bins: beyond this nearly every bin of any sweep is empty, and the counts would only cost memory.</summary>
    public const int MaxBins = 1000;

    /// <exception cref="ArgumentException">k outside 1..<see cref="MaxBins"/>, or a non-finite complexity.</exception>
    public static ComplexityBins Over(Complexity measure, int k, IEnumerable<double> complexities)
    {
        ValidateK(k);
        var list = complexities.ToList();
        if (list.Count == 0) return new ComplexityBins(measure, k, 0, 0);
        if (list.Any(c => !double.IsFinite(c))) throw new ArgumentException($"{Name(measure)} must be finite to bin models by it");
        return new ComplexityBins(measure, k, list.Min(), list.Max());
    }

    /// <exception cref="ArgumentException">k outside 1..<see cref="MaxBins"/> (the message names --bins).</exception>
    public static void ValidateK(int k)
    {
        if (k < 1 || k > MaxBins) throw new ArgumentException($"--bins must be between 1 and {MaxBins}, got {k}");
    }

    public static string Name(Complexity measure) => measure == Complexity.Macs ? "MACs" : "parameters";

    /// <summary>The bin (0..K-1) of a complexity; one bin when Low = High.</summary>
    public int BinOf(double c)
    {
        if (!(High > Low)) return 0;
        int j = (int)Math.Floor((c - Low) / (High - Low) * K);
        return Math.Clamp(j, 0, K - 1);
    }
}

/// <summary>A complexity-normalized EDF and how its weights came about.</summary>
/// <param name="Counts">models per bin (n_j).</param>
/// <param name="EmptyBins">bins without a model: left out, so the other bins share the weight (see <see cref="NormalizedEdf"/>).</param>
public sealed record NormalizedEdfResult(ComplexityBins Bins, IReadOnlyList<int> Counts, int EmptyBins, IReadOnlyList<double> Weights, Edf Edf);

/// <summary>
/// The complexity-normalized EDF of Radosavovic et al. 2019 ("On Network Design Spaces for Visual Recognition",
/// Sec. 3.2): models are binned into k equal-width bins of complexity and model i of bin j gets weight 1/(k·n_j), so
/// every bin carries the same total weight and two spaces whose samples differ in complexity compare as if both had
/// a uniform complexity distribution. Empty-bin policy: the reference code asserts no bin is empty; here empty bins
/// are dropped and the weight is shared by the k' non-empty ones (1/(k'·n_j)), and <see cref="NormalizedEdfResult.EmptyBins"/>
/// says how many were dropped, so a report can warn that those complexities are not represented.
/// </summary>
public static class NormalizedEdf
{
    public static NormalizedEdfResult Of(IReadOnlyList<double> errors, IReadOnlyList<double> complexities, ComplexityBins bins)
    {
        if (errors.Count != complexities.Count)
            throw new ArgumentException($"one complexity per error: {errors.Count} errors, {complexities.Count} complexities");
        var weights = Weights(complexities, bins, out var counts);
        int empty = counts.Count(c => c == 0);
        return new NormalizedEdfResult(bins, counts, errors.Count == 0 ? 0 : empty, weights, new Edf(errors, weights));
    }

    /// <summary>w_i = 1/(k'·n_j(i)), k' = the number of non-empty bins; the weights sum to 1.</summary>
    public static double[] Weights(IReadOnlyList<double> complexities, ComplexityBins bins, out int[] counts)
    {
        counts = new int[bins.K];
        var bin = new int[complexities.Count];
        for (int i = 0; i < complexities.Count; i++) counts[bin[i] = bins.BinOf(complexities[i])]++;
        int nonEmpty = counts.Count(c => c > 0);
        var w = new double[complexities.Count];
        for (int i = 0; i < w.Length; i++) w[i] = 1.0 / (nonEmpty * (double)counts[bin[i]]);
        return w;
    }
}
