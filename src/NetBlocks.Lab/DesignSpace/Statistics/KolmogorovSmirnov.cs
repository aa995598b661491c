namespace NetBlocks.DesignSpace.Statistics;

/// <summary>
/// A two-sample Kolmogorov–Smirnov test of A against B.
/// </summary>
/// <param name="D">sup |F_A − F_B| over all values (ties counted: steps of count/n).</param>
/// <param name="DBLeft">sup (F_B − F_A): how far B's EDF lies above (left of) A's somewhere.</param>
/// <param name="DALeft">sup (F_A − F_B).</param>
/// <param name="PValue">two-sided p-value of D.</param>
/// <param name="Exact">true: the exact permutation distribution (no-ties formula); false: the asymptotic Kolmogorov distribution.</param>
public sealed record KsTest(double D, double DBLeft, double DALeft, double PValue, int NA, int NB, bool Exact);

/// <summary>
/// The two-sample KS statistic and its p-value. Exact for n_A·n_B ≤ <see cref="ExactLimit"/>: P(D ≥ d) over the
/// C(n_A+n_B, n_A) equally likely orderings of the pooled sample, by dynamic programming over the lattice path of the
/// two EDFs (as scipy.stats.ks_2samp's method='exact'; like it, the exact distribution assumes no ties, and is
/// conservative with ties). Above the limit: the Kolmogorov distribution Q_KS(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²) at
/// λ = (√n_e + 0.12 + 0.11/√n_e)·D, n_e = n_A n_B/(n_A+n_B) (Stephens' correction, Numerical Recipes §14.3).
/// </summary>
public static class KolmogorovSmirnov
{
    public const long ExactLimit = 4_000_000;

    /// <exception cref="ArgumentException">an empty sample.</exception>
    public static KsTest TwoSample(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count == 0 || b.Count == 0) throw new ArgumentException($"a KS test needs models on both sides: got {a.Count} and {b.Count}");
        var fa = new Edf(a);
        var fb = new Edf(b);
        // D in integer units of 1/(n·m): F_A − F_B = (c_A·m − c_B·n)/(n·m), exact, no rounding at the boundary.
        long n = a.Count, m = b.Count, bLeft = 0, aLeft = 0;
        foreach (var x in fa.Steps.Select(s => s.X).Concat(fb.Steps.Select(s => s.X)))
        {
            long diff = Count(fa, x) * m - Count(fb, x) * n;
            aLeft = Math.Max(aLeft, diff);
            bLeft = Math.Max(bLeft, -diff);
        }
        long d = Math.Max(aLeft, bLeft);
        double nm = (double)n * m;
        bool exact = n * m <= ExactLimit;
        double p = exact ? ExactPValue((int)n, (int)m, d) : AsymptoticPValue(d / nm, n * (double)m / (n + m));
        return new KsTest(d / nm, bLeft / nm, aLeft / nm, p, (int)n, (int)m, exact);
    }

    /// <summary>sup |F_A − F_B| of two EDFs, weighted or not (they change only at their steps).</summary>
    public static double Distance(Edf a, Edf b) =>
        a.Steps.Select(s => s.X).Concat(b.Steps.Select(s => s.X)).Select(x => Math.Abs(a.At(x) - b.At(x))).DefaultIfEmpty(0).Max();

    private static long Count(Edf f, double x) => (long)Math.Round(f.At(x) * f.N);

    /// <summary>
    /// P(D ≥ d/(n·m)) under the null: 1 − the probability that a uniformly random ordering of n A's and m B's keeps
    /// |i·m − j·n| &lt; d at every point (i, j) of its path. Forward recursion over path probabilities (no huge counts).
    /// </summary>
    public static double ExactPValue(int n, int m, long d)
    {
        if (d <= 0) return 1;
        var row = new double[m + 1];
        for (int i = 0; i <= n; i++)
        {
            for (int j = 0; j <= m; j++)
            {
                double p;
                if (i == 0 && j == 0) p = 1;
                else
                {
                    double denominator = n + m - i - j + 1;
                    double fromA = i > 0 ? row[j] * (n - i + 1) / denominator : 0;            // previous row, same j
                    double fromB = j > 0 ? row[j - 1] * (m - j + 1) / denominator : 0;        // this row, j − 1
                    p = fromA + fromB;
                }
                row[j] = Math.Abs((long)i * m - (long)j * n) >= d ? 0 : p;
            }
        }
        return Math.Clamp(1 - row[m], 0, 1);
    }

    /// <summary>The asymptotic two-sided p-value of D with effective size n_e.</summary>
    public static double AsymptoticPValue(double d, double effectiveN)
    {
        double s = Math.Sqrt(effectiveN);
        return KolmogorovSurvival((s + 0.12 + 0.11 / s) * d);
    }

    /// <summary>Q_KS(λ) = P(K &gt; λ) of the Kolmogorov distribution: 2 Σ_{k≥1} (−1)^(k−1) e^(−2k²λ²); 1 for λ ≤ 0.</summary>
    public static double KolmogorovSurvival(double lambda)
    {
        if (!(lambda > 0)) return 1;
        if (lambda < 0.2) return 1; // the alternating series cancels badly here, and Q(0.2) = 1 − 5·10⁻¹³
        double sum = 0, sign = 1;
        for (int k = 1; k <= 100; k++)
        {
            double term = sign * Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += term;
            if (Math.Abs(term) < 1e-16 * Math.Abs(sum)) break;
            sign = -sign;
        }
        return Math.Clamp(2 * sum, 0, 1);
    }

    /// <summary>c(α) = √(−ln(α/2)/2): the asymptotic critical value of √n_e·D at level α (1.358 at 0.05).</summary>
    public static double CriticalValue(double alpha) => Math.Sqrt(-Math.Log(alpha / 2) / 2);

    /// <summary>
    /// Models per space (equal sizes) for a KS difference of size <paramref name="d"/> to be significant at
    /// <paramref name="alpha"/>: the smallest n with d ≥ c(α)·√(2/n), i.e. ⌈2·(c(α)/d)²⌉ (asymptotic). Null when d = 0.
    /// </summary>
    public static int? SamplesNeeded(double d, double alpha = 0.05)
    {
        if (!(d > 0) || d > 1) return null;
        double c = CriticalValue(alpha);
        return (int)Math.Ceiling(2 * c * c / (d * d) - 1e-9);
    }
}
