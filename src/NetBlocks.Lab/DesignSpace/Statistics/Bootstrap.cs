using NetBlocks.Tensors;

namespace NetBlocks.DesignSpace.Statistics;

/// <summary>A 95% band: at each x, the 2.5th and 97.5th percentiles of the bootstrap replicates of a curve.</summary>
public sealed record Band(IReadOnlyList<double> X, IReadOnlyList<double> Low, IReadOnlyList<double> High);

/// <summary>
/// The nonparametric bootstrap with a seeded, portable generator (<see cref="RandomGenerator"/>): the same seed gives
/// the same resamples, so a report is reproducible.
/// </summary>
public static class Bootstrap
{
    public const int DefaultRepeats = 1000;

    /// <summary>n indices drawn uniformly from 0..n−1 with replacement.</summary>
    public static int[] Resample(int n, int size, RandomGenerator rng)
    {
        var idx = new int[size];
        for (int i = 0; i < size; i++) idx[i] = rng.NextInt(n);
        return idx;
    }

    /// <summary>
    /// The pointwise 95% percentile band of an EDF: <paramref name="repeats"/> resamples of the n models (with
    /// replacement), each EDF'd by <paramref name="edfOf"/> (which may reweight the resample) and read at every step of
    /// the full sample's EDF.
    /// </summary>
    public static Band EdfBand(Edf full, Func<int[], Edf> edfOf, ulong seed, int repeats = DefaultRepeats)
    {
        if (repeats < 2) throw new ArgumentOutOfRangeException(nameof(repeats), repeats, "a bootstrap needs at least 2 repeats");
        var x = full.Steps.Select(s => s.X).ToArray();
        if (full.N == 0) return new Band([], [], []);
        var rng = new RandomGenerator(seed);
        var replicates = new double[x.Length][];
        for (int j = 0; j < x.Length; j++) replicates[j] = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            var edf = edfOf(Resample(full.N, full.N, rng));
            for (int j = 0; j < x.Length; j++) replicates[j][r] = edf.At(x[j]);
        }
        var low = new double[x.Length];
        var high = new double[x.Length];
        for (int j = 0; j < x.Length; j++)
        {
            Array.Sort(replicates[j]);
            low[j] = Percentile.OfSorted(replicates[j], 0.025);
            high[j] = Percentile.OfSorted(replicates[j], 0.975);
        }
        return new Band(x, low, high);
    }
}
