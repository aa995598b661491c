using NetBlocks.Tensors;

namespace NetBlocks.DesignSpace.Statistics;

/// <summary>A parameter's bootstrap best range: the 2.5th, 50th and 97.5th percentiles of the winners' values.</summary>
public sealed record BestRangeResult(double Low, double Median, double High, int Winners);

/// <summary>
/// The bootstrap best range as pycls computes it (pycls/sweep/analysis.py, get_filters): <see cref="Resamples"/> (2500)
/// times, draw ⌊<see cref="Fraction"/>·n⌋ (at least 1) of the n models with replacement and keep the one with the
/// lowest error (the first drawn, on ties); a parameter's range is then the 2.5/50/97.5 percentiles (linear
/// interpolation) of the winners' values. One set of winners serves every parameter, as in pycls. A winner that lacks a
/// parameter (a stage the model does not have) is left out of that parameter's percentiles.
/// </summary>
public sealed class BestRange
{
    public const int Resamples = 2500;
    public const double Fraction = 0.25;

    private readonly int[] winners;

    /// <summary>Indices (into the errors given) of each resample's best model.</summary>
    public IReadOnlyList<int> Winners => winners;

    public BestRange(IReadOnlyList<double> errors, ulong seed, int resamples = Resamples, double fraction = Fraction)
    {
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "at least one resample");
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "a fraction in (0, 1]");
        int n = errors.Count;
        if (n == 0) { winners = []; return; }
        int size = Math.Max(1, (int)Math.Floor(n * fraction));
        var rng = new RandomGenerator(seed);
        winners = new int[resamples];
        for (int r = 0; r < resamples; r++)
        {
            int best = rng.NextInt(n);
            for (int i = 1; i < size; i++)
            {
                int k = rng.NextInt(n);
                if (errors[k] < errors[best]) best = k;
            }
            winners[r] = best;
        }
    }

    /// <summary>The range of one parameter; <paramref name="value"/>(i) is model i's value, NaN when it lacks the parameter. Null when no winner has it.</summary>
    public BestRangeResult? Of(Func<int, double> value)
    {
        var values = winners.Select(value).Where(double.IsFinite).Order().ToArray();
        if (values.Length == 0) return null;
        return new BestRangeResult(Percentile.OfSorted(values, 0.025), Percentile.OfSorted(values, 0.5), Percentile.OfSorted(values, 0.975), values.Length);
    }
}
