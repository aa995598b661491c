using NetBlocks.DesignSpace.Statistics;

namespace NetBlocks.Tests.DesignSpace;

/// <summary>
/// The design-space statistics against values computed by hand or by an independent formula: EDFs with ties and
/// weights, the complexity-normalized EDF, bootstrap bands, the KS test (brute-force enumeration, Kolmogorov tables),
/// pycls's best range, the expected best of m (exact order statistics against simulation) and trend lines.
/// </summary>
public sealed class SweepStatisticsTests
{
    [Fact]
    public void Edf_counts_ties_as_steps_of_count_over_n()
    {
        var edf = new Edf([0.9, 0.2, 0.2, 0.2]);
        Assert.Equal([(0.2, 0.75), (0.9, 1.0)], edf.Steps);
        Assert.Equal([0.2, 0.2, 0.2, 0.9], edf.Values);
        Assert.Equal((0.0, 0.75, 0.75, 1.0), (edf.At(0.1), edf.At(0.2), edf.At(0.5), edf.At(0.9)));
        Assert.Equal((0.2, 0.2, 0.9), (edf.Quantile(0.5), edf.Quantile(0.75), edf.Quantile(0.76)));
        Assert.Equal([(0.2, 0.0), (0.2, 0.75), (0.9, 1.0)], edf.ChartPoints());
    }

    [Fact]
    public void Weighted_edf_steps_by_weight_and_empty_edf_is_empty()
    {
        var edf = new Edf([3, 1, 2], [2, 1, 1]);
        Assert.Equal([(1.0, 0.25), (2.0, 0.5), (3.0, 1.0)], edf.Steps);
        var empty = new Edf([]);
        Assert.Empty(empty.Steps);
        Assert.Equal(0, empty.At(1));
        Assert.True(double.IsNaN(empty.Quantile(0.5)));
    }

    [Fact]
    public void Bad_edf_input_is_named()
    {
        Assert.Equal("an EDF takes finite values; value 1 is NaN", Assert.Throws<ArgumentException>(() => new Edf([0.1, double.NaN])).Message);
        Assert.Equal("an EDF needs one weight per value: 2 values, 1 weights", Assert.Throws<ArgumentException>(() => new Edf([0.1, 0.2], [1])).Message);
        Assert.Equal("EDF weights must be finite and non-negative; weight 0 is -1", Assert.Throws<ArgumentException>(() => new Edf([0.1], [-1])).Message);
        Assert.Equal("an EDF's weights must not all be zero", Assert.Throws<ArgumentException>(() => new Edf([0.1], [0])).Message);
    }

    [Fact]
    public void Normalized_edf_weighs_each_model_one_over_k_times_its_bin_count()
    {
        // Complexities 1, 2, 3, 10 in k = 2 bins over [1, 10]: [1, 5.5) holds 3 models (weight 1/(2·3) each), [5.5, 10] one (1/2).
        var bins = ComplexityBins.Over(Complexity.Macs, 2, [1, 2, 3, 10]);
        var r = NormalizedEdf.Of([0.1, 0.2, 0.3, 0.4], [1, 2, 3, 10], bins);
        Assert.Equal([3, 1], r.Counts);
        Assert.Equal(0, r.EmptyBins);
        Assert.Equal([1 / 6.0, 1 / 6.0, 1 / 6.0, 0.5], r.Weights);
        Assert.Equal(1 / 6.0, r.Edf.At(0.1), 12);
        Assert.Equal(0.5, r.Edf.At(0.3), 12);
        Assert.Equal(1.0, r.Edf.At(0.4));
    }

    [Fact]
    public void Normalized_edf_drops_empty_bins_and_shares_their_weight()
    {
        // k = 3 over [1, 10]: [1, 4) holds 3, [4, 7) none, [7, 10] one. The empty bin is dropped: k' = 2, weights as for k = 2.
        var bins = ComplexityBins.Over(Complexity.Params, 3, [1, 2, 3, 10]);
        var r = NormalizedEdf.Of([0.1, 0.2, 0.3, 0.4], [1, 2, 3, 10], bins);
        Assert.Equal([3, 0, 1], r.Counts);
        Assert.Equal(1, r.EmptyBins);
        Assert.Equal([1 / 6.0, 1 / 6.0, 1 / 6.0, 0.5], r.Weights);
        Assert.Equal(1.0, r.Weights.Sum(), 12);
        // All models at one complexity: one bin, plain EDF.
        var flat = NormalizedEdf.Of([0.2, 0.2, 0.9], [5, 5, 5], ComplexityBins.Over(Complexity.Macs, 4, [5, 5, 5]));
        Assert.Equal(2.0 / 3, flat.Edf.At(0.2), 12);
        Assert.Equal("--bins must be between 1 and 1000, got 0", Assert.Throws<ArgumentException>(() => ComplexityBins.Over(Complexity.Macs, 0, [1.0])).Message);
    }

    [Fact]
    public void Percentiles_interpolate_like_numpy()
    {
        // numpy.percentile([1, 2, 3, 4], [2.5, 50, 97.5]) = [1.075, 2.5, 3.925]
        Assert.Equal(1.075, Percentile.OfSorted([1, 2, 3, 4], 0.025), 12);
        Assert.Equal(2.5, Percentile.OfSorted([1, 2, 3, 4], 0.5), 12);
        Assert.Equal(3.925, Percentile.OfSorted([1, 2, 3, 4], 0.975), 12);
    }

    [Fact]
    public void Bootstrap_band_is_seeded_and_brackets_the_edf()
    {
        var errors = Enumerable.Range(0, 50).Select(i => 0.1 + 0.01 * (i % 25)).ToArray(); // 25 distinct values, each twice
        var edf = new Edf(errors);
        Edf Of(int[] idx) => new([.. idx.Select(i => errors[i])]);
        var band = Bootstrap.EdfBand(edf, Of, seed: 7, repeats: 400);
        Assert.Equal(edf.Steps.Select(s => s.X), band.X);
        for (int j = 0; j < band.X.Count; j++)
            Assert.InRange(edf.Steps[j].F, band.Low[j], band.High[j]);
        Assert.Equal((1.0, 1.0), (band.Low[^1], band.High[^1]));
        Assert.True(band.High[10] - band.Low[10] > 0.1, "a 50-model EDF is uncertain by more than ±0.05 in the middle");
        Assert.Equal(band.Low, Bootstrap.EdfBand(edf, Of, seed: 7, repeats: 400).Low);
        Assert.NotEqual(band.Low, Bootstrap.EdfBand(edf, Of, seed: 8, repeats: 400).Low);
        // One value: every resample has F = 1 there.
        var one = Bootstrap.EdfBand(new Edf([0.3, 0.3]), _ => new Edf([0.3, 0.3]), seed: 1, repeats: 10);
        Assert.Equal((1.0, 1.0), (one.Low[0], one.High[0]));
    }

    [Fact]
    public void Ks_statistic_counts_ties_and_knows_which_side_is_left()
    {
        var t = KolmogorovSmirnov.TwoSample([0.2, 0.2, 0.2, 0.9], [0.2, 0.9, 0.9, 0.9]);
        Assert.Equal((0.5, 0.0, 0.5), (t.D, t.DBLeft, t.DALeft));
        var u = KolmogorovSmirnov.TwoSample([4, 5, 6], [1, 2, 3]);
        Assert.Equal((1.0, 1.0, 0.0), (u.D, u.DBLeft, u.DALeft));
        // Two of the C(6,3) = 20 equally likely orderings separate the samples completely: p = 0.1
        // (scipy.stats.ks_2samp([1,2,3], [4,5,6]) gives statistic 1.0, pvalue 0.1).
        Assert.Equal(0.1, u.PValue, 12);
        Assert.True(u.Exact);
        // 10 + 10 separated: p = 2 / C(20, 10) = 2 / 184756.
        Assert.Equal(2.0 / 184756, KolmogorovSmirnov.TwoSample([.. Enumerable.Range(0, 10).Select(i => 1.0 + i)], [.. Enumerable.Range(0, 10).Select(i => 20.0 + i)]).PValue, 15);
        Assert.Equal("a KS test needs models on both sides: got 0 and 2", Assert.Throws<ArgumentException>(() => KolmogorovSmirnov.TwoSample([], [1, 2])).Message);
    }

    [Theory]
    [InlineData(4, 5)]
    [InlineData(5, 5)]
    [InlineData(3, 7)]
    public void Exact_ks_p_value_matches_enumerating_every_ordering(int n, int m)
    {
        // Independent check: enumerate all C(n+m, n) placements of A among n+m ranks, compute D for each, and count.
        var ds = new List<long>();
        for (int mask = 0; mask < 1 << (n + m); mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != n) continue;
            long i = 0, j = 0, d = 0;
            for (int k = 0; k < n + m; k++)
            {
                if ((mask >> k & 1) == 1) i++; else j++;
                d = Math.Max(d, Math.Abs(i * m - j * n));
            }
            ds.Add(d);
        }
        foreach (long observed in ds.Distinct())
        {
            double expected = ds.Count(d => d >= observed) / (double)ds.Count;
            Assert.Equal(expected, KolmogorovSmirnov.ExactPValue(n, m, observed), 12);
        }
    }

    [Fact]
    public void Kolmogorov_distribution_matches_its_tables()
    {
        // Critical values of the Kolmogorov distribution (e.g. Smirnov 1948; Numerical Recipes Table 14.3):
        // P(K > 1.2238) = 0.10, P(K > 1.3581) = 0.05, P(K > 1.6276) = 0.01; P(K > 1) = 0.2700.
        Assert.Equal(0.10, KolmogorovSmirnov.KolmogorovSurvival(1.2238), 4);
        Assert.Equal(0.05, KolmogorovSmirnov.KolmogorovSurvival(1.3581), 4);
        Assert.Equal(0.01, KolmogorovSmirnov.KolmogorovSurvival(1.6276), 4);
        Assert.Equal(0.2700, KolmogorovSmirnov.KolmogorovSurvival(1.0), 4);
        Assert.Equal(1.0, KolmogorovSmirnov.KolmogorovSurvival(0));
        Assert.Equal(1.3581, KolmogorovSmirnov.CriticalValue(0.05), 4);
        // For 100 + 100 models the asymptotic p-value is close to the exact one (D = 0.2: both about 0.04).
        double exact = KolmogorovSmirnov.ExactPValue(100, 100, 2000), asym = KolmogorovSmirnov.AsymptoticPValue(0.2, 50);
        Assert.InRange(asym - exact, -0.01, 0.01);
    }

    [Fact]
    public void Samples_needed_is_where_the_difference_becomes_significant()
    {
        // 2·(1.3581/0.21)² = 83.65 → 84 models per space.
        Assert.Equal(84, KolmogorovSmirnov.SamplesNeeded(0.21));
        Assert.Null(KolmogorovSmirnov.SamplesNeeded(0));
        // At that size, a difference of 0.21 is (asymptotically) just significant, one size below not.
        Assert.True(KolmogorovSmirnov.AsymptoticPValue(0.21, 84 / 2.0) < 0.06);
        Assert.True(Math.Sqrt(83 / 2.0) * 0.21 < KolmogorovSmirnov.CriticalValue(0.05));
    }

    [Fact]
    public void Best_range_takes_the_winners_percentiles_and_skips_missing_parameters()
    {
        // Resamples of one model (⌊4·0.25⌋ = 1): winners are uniform over the 4 models, so the 95% range spans them all.
        var r = new BestRange([0.4, 0.3, 0.2, 0.1], seed: 3);
        Assert.Equal(2500, r.Winners.Count);
        var range = r.Of(i => 10.0 * (i + 1))!;
        Assert.Equal((10.0, 40.0), (range.Low, range.High));
        Assert.Equal(2500, range.Winners);
        // Only model 0 has the parameter: the range is its value, counted over the resamples it won.
        var partial = r.Of(i => i == 0 ? 7 : double.NaN)!;
        Assert.Equal((7.0, 7.0, 7.0), (partial.Low, partial.Median, partial.High));
        Assert.Equal(r.Winners.Count(w => w == 0), partial.Winners);
        Assert.Null(r.Of(_ => double.NaN));
        // A full-size resample (fraction 1) of 40 models contains the best one with probability 1 − (39/40)^40 ≈ 0.64: the low end is model 0.
        var many = new BestRange([.. Enumerable.Range(0, 40).Select(i => 0.1 + 0.01 * i)], seed: 1, fraction: 1);
        Assert.Equal(0.0, many.Of(i => i)!.Low);
    }

    [Fact]
    public void Expected_best_of_m_follows_order_statistics_and_simulation_agrees()
    {
        // min of 2 draws from {0.2, 0.2, 0.2, 0.9} is 0.9 only if both are 0.9 (1/16): 0.2·15/16 + 0.9/16 = 0.24375.
        Assert.Equal(0.24375, ExpectedBest.Of([0.2, 0.2, 0.2, 0.9], 2), 12);
        Assert.Equal(0.375, ExpectedBest.Of([0.2, 0.2, 0.2, 0.9], 1), 12);
        var errors = Enumerable.Range(0, 30).Select(i => 0.1 + 0.02 * Math.Sqrt(i) + (i % 3 == 0 ? 0.05 : 0)).ToArray();
        foreach (int m in new[] { 1, 3, 8 })
            Assert.Equal(ExpectedBest.Of(errors, m), ExpectedBest.Sampled(errors, m, 200_000, seed: 5), 3);
        Assert.Equal([1, 2, 4, 5], ExpectedBest.Curve([0.5, 0.4, 0.3, 0.2, 0.1]).Select(p => p.M));
        Assert.True(double.IsNaN(ExpectedBest.Of([], 3)));
    }

    [Fact]
    public void Trend_line_is_least_squares()
    {
        var line = TrendLine.Fit([(1, 3), (2, 5), (3, 7)]);
        Assert.Equal((1.0, 2.0), (Math.Round(line.Intercept, 12), Math.Round(line.Slope, 12)));
        var flat = TrendLine.Fit([(4, 0.2), (4, 0.4)]);
        Assert.Equal((0.3, 0.0), (Math.Round(flat.Intercept, 12), flat.Slope));
        Assert.Equal(0.3 + 0, flat.At(100), 12);
    }
}
