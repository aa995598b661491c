using System.Globalization;
using NetBlocks.DesignSpace.Statistics;

namespace NetBlocks.DesignSpace;

/// <summary>
/// Sweep B against sweep A: the KS test of their error EDFs, which one lies left (more good models), how many models per
/// space a difference of this size needs to be significant, and the KS distance of their complexity-normalized EDFs.
/// </summary>
/// <param name="NormalizedD">sup |F_A − F_B| of the normalized EDFs, by measure (no p-value: the weighted EDFs have no exact null distribution).</param>
public sealed record SweepComparison(string A, string B, KsTest Test, int? SamplesNeeded, IReadOnlyList<(Complexity Measure, double D)> NormalizedD)
{
    public const double Alpha = 0.05;

    public bool Significant => Test.PValue < Alpha;

    /// <summary>
    /// "B's EDF is left of A's: KS 0.21, p = 0.003, n = 100 + 100", or, when p ≥ 0.05, that the samples do not show a
    /// difference and how many models per space one of this size would need.
    /// </summary>
    public string Verdict
    {
        get
        {
            var inv = CultureInfo.InvariantCulture;
            string numbers = string.Create(inv, $"KS {Test.D:0.###}, p = {P(Test.PValue)}, n = {Test.NA} + {Test.NB}");
            if (Test.D == 0) return $"{A} and {B} have the same EDF: KS 0, p = 1, n = {Test.NA} + {Test.NB}";
            if (Significant)
                return (Test.DBLeft > Test.DALeft ? $"{B}'s EDF is left of {A}'s" : Test.DALeft > Test.DBLeft ? $"{A}'s EDF is left of {B}'s" : $"{A}'s and {B}'s EDFs cross") + ": " + numbers;
            string need = SamplesNeeded is int k ? string.Create(inv, $"; a difference of this size needs about {k} models per space to show at p < {Alpha}") : "";
            return $"no significant difference between {A} and {B}: {numbers}{need}";
        }
    }

    private static string P(double p) => p < 0.001 ? p.ToString("0.0e+0", CultureInfo.InvariantCulture) : p.ToString("0.###", CultureInfo.InvariantCulture);

    /// <exception cref="ArgumentException">a sweep without finished trials (names it).</exception>
    public static SweepComparison Of(SweepSummary a, SweepSummary b)
    {
        foreach (var s in new[] { a, b })
            if (s.Edf.N == 0) throw new ArgumentException($"sweep {s.Name} has no finished trials to compare; run it first (netblocks sweep run {s.Name})");
        var test = KolmogorovSmirnov.TwoSample(a.Errors, b.Errors);
        var normalized = a.Normalized.Zip(b.Normalized, (x, y) => (x.Result.Bins.Measure, KolmogorovSmirnov.Distance(x.Result.Edf, y.Result.Edf))).ToList();
        return new SweepComparison(a.Name, b.Name, test, KolmogorovSmirnov.SamplesNeeded(test.D, Alpha), normalized);
    }

    /// <summary>Every later sweep of a report against the first.</summary>
    public static IReadOnlyList<SweepComparison> AgainstFirst(IReadOnlyList<SweepSummary> sweeps) =>
        sweeps.Count < 2 || sweeps[0].Edf.N == 0 ? [] : [.. sweeps.Skip(1).Where(s => s.Edf.N > 0).Select(s => Of(sweeps[0], s))];
}
