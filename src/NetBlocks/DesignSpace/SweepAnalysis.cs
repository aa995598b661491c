using System.Globalization;

namespace NetBlocks.DesignSpace;

/// <summary>One design parameter's effect on error across a sweep's finished trials.</summary>
/// <param name="Spearman">rank correlation of the parameter with error (NaN when the parameter does not vary).</param>
/// <param name="BestLow">the bootstrap estimate of the best range (paper, Sec. 3.2): the parameter of the best model of a
/// 25% subsample drawn with replacement, over many repeats; 2.5th and 97.5th percentiles and the median.</param>
public sealed record ParameterEffect(string Name, int N, double Spearman, double BestLow, double BestMedian, double BestHigh,
    IReadOnlyList<(double Value, double Error)> Points);

/// <summary>The linear fit w_j ≈ w0 + wa·j of a model's per-block widths and wm, the mean ratio of consecutive stage widths.</summary>
/// <param name="FitError">mean |log(w_j / (w0 + wa·j))| over blocks: 0 for an exactly linear model (the paper's e_fit, in spirit).</param>
public sealed record WidthFit(int Index, string Spec, double Error, double W0, double WA, double WM, double FitError);

/// <summary>A sweep summarised for status and reports.</summary>
public sealed record SweepSummary(string Name, string Space, int N, int Done, int Failed, int Pending, int Running,
    IReadOnlyList<(double Error, double Fraction)> Edf, IReadOnlyList<TrialRecord> Best, IReadOnlyList<ParameterEffect> Effects,
    IReadOnlyList<WidthFit> BestWidthFits, WidthFit? PooledFit, IReadOnlyList<TrialRecord> FailedTrials, TrialSettings Settings)
{
    public bool Complete => Pending == 0 && Running == 0 && Failed == 0;
    /// <summary>Every finished trial, best first.</summary>
    public IReadOnlyList<TrialRecord> AllDone { get; init; } = [];
    public IReadOnlyList<double> Errors => [.. Edf.Select(p => p.Error)];
}

/// <summary>EDFs, parameter effects, bootstrap best ranges and width fits (Radosavovic et al. 2019, 2020).</summary>
public static class SweepAnalysis
{
    public const int BootstrapRepeats = 1000;
    public const double BootstrapFraction = 0.25;

    public static SweepSummary Summarize(SweepDefinition sweep, IReadOnlyList<TrialRecord> trials, int best = 5, ulong seed = 0)
    {
        var done = trials.Where(t => t.Status == TrialStatus.Done && t.Error is double e && double.IsFinite(e)).OrderBy(t => t.Error).ThenBy(t => t.Index).ToList();
        var errors = done.Select(t => t.Error!.Value).ToArray();
        var edf = Edf(errors);
        var effects = Effects(done, seed);
        int top = Math.Max(1, (int)Math.Ceiling(done.Count * BootstrapFraction));
        var fits = done.Take(Math.Min(top, 10)).Select(t => FitWidths(t)).OfType<WidthFit>().ToList();
        var pooled = PooledFit(done.Take(top).ToList());
        return new SweepSummary(sweep.Name, DesignSpaces.Name(sweep.Space), trials.Count, done.Count,
            trials.Count(t => t.Status == TrialStatus.Failed), trials.Count(t => t.Status == TrialStatus.Pending),
            trials.Count(t => t.Status == TrialStatus.Running), edf, done.Take(best).ToList(), effects, fits, pooled,
            trials.Where(t => t.Status == TrialStatus.Failed).ToList(), sweep.Settings) { AllDone = done };
    }

    /// <summary>F(e) = fraction of models with error ≤ e, at every distinct error (ties: one point at the higher fraction).</summary>
    public static IReadOnlyList<(double Error, double Fraction)> Edf(IReadOnlyList<double> errors)
    {
        var sorted = errors.Where(double.IsFinite).Order().ToArray();
        var points = new List<(double, double)>();
        for (int i = 0; i < sorted.Length; i++)
        {
            if (i + 1 < sorted.Length && sorted[i + 1] == sorted[i]) continue;
            points.Add((sorted[i], (i + 1) / (double)sorted.Length));
        }
        return points;
    }

    /// <summary>Parameter order for reports: global ones, RegNet's, then stage by stage.</summary>
    public static IEnumerable<string> OrderParameters(IEnumerable<string> names)
    {
        string[] head = ["stages", "stem", "d", "w0", "wa", "wm", "g", "b"];
        var set = names.Distinct().ToList();
        foreach (var h in head) if (set.Contains(h)) yield return h;
        foreach (var n in set.Where(n => !head.Contains(n))
                     .OrderBy(n => int.TryParse(n.AsSpan(1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 99)
                     .ThenBy(n => "dwgb".IndexOf(n[0])))
            yield return n;
    }

    private static List<ParameterEffect> Effects(IReadOnlyList<TrialRecord> done, ulong seed)
    {
        var list = new List<ParameterEffect>();
        foreach (var name in OrderParameters(done.SelectMany(t => t.Parameters.Keys)))
        {
            var points = done.Where(t => t.Parameters.ContainsKey(name)).Select(t => (Value: t.Parameters[name], Error: t.Error!.Value)).ToList();
            if (points.Count == 0) continue;
            var (lo, mid, hi) = BootstrapBest(points, seed ^ StableHash(name));
            list.Add(new ParameterEffect(name, points.Count, Spearman(points), lo, mid, hi, points));
        }
        return list;
    }

    private static ulong StableHash(string s)
    {
        ulong h = 1469598103934665603;
        foreach (char c in s) h = (h ^ c) * 1099511628211;
        return h;
    }

    /// <summary>The paper's bootstrap: repeatedly take the best of a 25% subsample (with replacement) and record its value.</summary>
    public static (double Low, double Median, double High) BootstrapBest(IReadOnlyList<(double Value, double Error)> points, ulong seed = 0, int repeats = BootstrapRepeats)
    {
        if (points.Count == 0) return (double.NaN, double.NaN, double.NaN);
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        int m = Math.Max(1, (int)Math.Round(points.Count * BootstrapFraction));
        var winners = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            var best = points[rng.Next(points.Count)];
            for (int i = 1; i < m; i++)
            {
                var p = points[rng.Next(points.Count)];
                if (p.Error < best.Error) best = p;
            }
            winners[r] = best.Value;
        }
        Array.Sort(winners);
        return (Percentile(winners, 0.025), Percentile(winners, 0.5), Percentile(winners, 0.975));
    }

    private static double Percentile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int i = (int)Math.Floor(pos);
        return i + 1 < sorted.Length ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
    }

    /// <summary>Spearman's rank correlation (average ranks for ties); NaN when either side is constant or n &lt; 3.</summary>
    public static double Spearman(IReadOnlyList<(double Value, double Error)> points)
    {
        if (points.Count < 3) return double.NaN;
        var rx = Ranks(points.Select(p => p.Value).ToArray());
        var ry = Ranks(points.Select(p => p.Error).ToArray());
        return Pearson(rx, ry);
    }

    private static double[] Ranks(double[] v)
    {
        var order = Enumerable.Range(0, v.Length).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Length];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]]) j++;
            for (int k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return ranks;
    }

    private static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Least-squares line through (j, w_j) over a model's blocks; wm from its stage widths.</summary>
    public static WidthFit? FitWidths(TrialRecord t)
    {
        var widths = DesignSpaces.BlockWidths(t.Spec);
        if (widths.Length == 0) return null;
        var (w0, wa, fitError) = Line([.. widths.Select((w, j) => ((double)j, (double)w))]);
        return new WidthFit(t.Index, t.Spec, t.Error ?? double.NaN, w0, wa, StageRatio(widths), fitError);
    }

    private static WidthFit? PooledFit(IReadOnlyList<TrialRecord> top)
    {
        var pts = new List<(double J, double W)>();
        var ratios = new List<double>();
        foreach (var t in top)
        {
            var widths = DesignSpaces.BlockWidths(t.Spec);
            pts.AddRange(widths.Select((w, j) => ((double)j, (double)w)));
            if (widths.Length > 0) ratios.Add(StageRatio(widths));
        }
        if (pts.Count == 0) return null;
        var (w0, wa, e) = Line(pts);
        var finite = ratios.Where(double.IsFinite).ToList();
        return new WidthFit(-1, $"best {top.Count} pooled", top.Average(t => t.Error ?? double.NaN), w0, wa,
            finite.Count == 0 ? double.NaN : Math.Exp(finite.Average(Math.Log)), e);
    }

    private static (double W0, double WA, double FitError) Line(IReadOnlyList<(double J, double W)> pts)
    {
        double mj = pts.Average(p => p.J), mw = pts.Average(p => p.W), sjw = 0, sjj = 0;
        foreach (var (j, w) in pts) { sjw += (j - mj) * (w - mw); sjj += (j - mj) * (j - mj); }
        double wa = sjj == 0 ? 0 : sjw / sjj, w0 = mw - wa * mj;
        double err = pts.Average(p => { double u = w0 + wa * p.J; return u > 0 ? Math.Abs(Math.Log(p.W / u)) : double.NaN; });
        return (w0, wa, err);
    }

    /// <summary>Geometric mean of the ratios between consecutive distinct stage widths (NaN for one stage).</summary>
    private static double StageRatio(int[] blockWidths)
    {
        var stages = new List<int>();
        foreach (var w in blockWidths) if (stages.Count == 0 || stages[^1] != w) stages.Add(w);
        if (stages.Count < 2) return double.NaN;
        double sum = 0;
        for (int i = 1; i < stages.Count; i++) sum += Math.Log((double)stages[i] / stages[i - 1]);
        return Math.Exp(sum / (stages.Count - 1));
    }
}
