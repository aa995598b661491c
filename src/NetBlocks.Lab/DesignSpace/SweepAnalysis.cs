using System.Globalization;
using NetBlocks.DesignSpace.Statistics;

namespace NetBlocks.DesignSpace;

/// <summary>One design parameter's effect on error across a sweep's finished trials.</summary>
/// <param name="Spearman">rank correlation of the parameter with error (NaN when the parameter does not vary).</param>
/// <param name="Trend">the least-squares line of error against the parameter.</param>
/// <param name="Best">the bootstrap best range (<see cref="BestRange"/>); null when no resample's winner has the parameter.</param>
/// <param name="Points">(value, error) of every finished model that has the parameter. Bottleneck parameters (b, b1, …) are
/// the spec's b, the bottleneck multiplier (bottleneck width = w·b), as in <c>anynet:…x64g8b0.5</c>.</param>
public sealed record ParameterEffect(string Name, int N, double Spearman, TrendLine Trend, BestRangeResult? Best,
    IReadOnlyList<(double Value, double Error)> Points);

/// <summary>The linear fit w_j ≈ w0 + wa·j of a model's per-block widths and wm, the mean ratio of consecutive stage widths.</summary>
/// <param name="FitError">mean |log(w_j / (w0 + wa·j))| over blocks: 0 for an exactly linear model (the paper's e_fit, in spirit).</param>
public sealed record WidthFit(int Index, string Spec, double Error, double W0, double WA, double WM, double FitError);

/// <summary>A complexity-normalized EDF of a sweep with its bootstrap band.</summary>
public sealed record NormalizedView(NormalizedEdfResult Result, Band Band);

/// <summary>A sweep summarised for status and reports.</summary>
/// <param name="Edf">the EDF of every finished trial's error, ties counted (steps of count/n).</param>
public sealed record SweepSummary(string Name, string Space, int N, int Done, int Failed, int Pending, int Running,
    Edf Edf, IReadOnlyList<TrialRecord> Best, IReadOnlyList<ParameterEffect> Effects,
    IReadOnlyList<WidthFit> BestWidthFits, WidthFit? PooledFit, IReadOnlyList<TrialRecord> FailedTrials, TrialSettings Settings)
{
    public bool Complete => Pending == 0 && Running == 0 && Failed == 0;
    /// <summary>Every finished trial, best first.</summary>
    public IReadOnlyList<TrialRecord> AllDone { get; init; } = [];
    /// <summary>Every finished trial's error, ascending, ties kept.</summary>
    public IReadOnlyList<double> Errors => Edf.Values;
    /// <summary>The EDF's 95% bootstrap band.</summary>
    public Band EdfBand { get; init; } = new([], [], []);
    /// <summary>The complexity-normalized EDFs (MACs, then parameters), empty without finished trials.</summary>
    public IReadOnlyList<NormalizedView> Normalized { get; init; } = [];
    /// <summary>Random-search efficiency: E[best error of m models drawn], m = 1, 2, 4, … n.</summary>
    public IReadOnlyList<(int M, double Error)> ExpectedBest { get; init; } = [];
}

/// <summary>The knobs of the analysis; the defaults are the papers' and every run with the same options gives the same numbers.</summary>
public sealed record AnalysisOptions
{
    /// <summary>Seed of every resampling (EDF bands, best ranges); each statistic derives its own stream from it.</summary>
    public ulong Seed { get; init; }
    /// <summary>k, the equal-width complexity bins of the normalized EDFs.</summary>
    public int Bins { get; init; } = 10;
    public int BandRepeats { get; init; } = Bootstrap.DefaultRepeats;
    public int BestRangeResamples { get; init; } = BestRange.Resamples;
    /// <summary>Best models listed.</summary>
    public int Best { get; init; } = 5;

    public void Validate()
    {
        ComplexityBins.ValidateK(Bins);
        if (BandRepeats < 2) throw new ArgumentException($"bootstrap band resamples must be at least 2, got {BandRepeats}");
        if (BestRangeResamples < 1) throw new ArgumentException($"best-range resamples must be at least 1, got {BestRangeResamples}");
        if (Best < 0) throw new ArgumentException($"best models listed must not be negative, got {Best}");
    }
}

/// <summary>EDFs, parameter effects, bootstrap best ranges and width fits (Radosavovic et al. 2019, 2020).</summary>
public static class SweepAnalysis
{
    /// <summary>Summarises one sweep; its normalized EDFs bin its own complexity range.</summary>
    public static SweepSummary Summarize(SweepDefinition sweep, IReadOnlyList<TrialRecord> trials, AnalysisOptions? options = null) =>
        SummarizeAll([(sweep, trials)], options)[0];

    /// <summary>
    /// Summarises sweeps to be compared: their normalized EDFs share one set of bins, spanning the complexities of all
    /// their finished models, so the weights mean the same in every sweep.
    /// </summary>
    public static IReadOnlyList<SweepSummary> SummarizeAll(IReadOnlyList<(SweepDefinition Sweep, IReadOnlyList<TrialRecord> Trials)> sweeps, AnalysisOptions? options = null)
    {
        var o = options ?? new AnalysisOptions();
        o.Validate();
        var finished = sweeps.Select(s => Finished(s.Trials)).ToList();
        var bins = new[] { Complexity.Macs, Complexity.Params }
            .Select(c => ComplexityBins.Over(c, o.Bins, finished.SelectMany(d => d.Select(t => ComplexityOf(t, c))))).ToList();
        return [.. sweeps.Select((s, i) => Summarize(s.Sweep, s.Trials, finished[i], bins, o))];
    }

    private static List<TrialRecord> Finished(IReadOnlyList<TrialRecord> trials) =>
        [.. trials.Where(t => t.Status == TrialStatus.Done && t.Error is double e && double.IsFinite(e)).OrderBy(t => t.Error).ThenBy(t => t.Index)];

    private static double ComplexityOf(TrialRecord t, Complexity c) => c == Complexity.Macs ? t.Macs : t.Params;

    private static SweepSummary Summarize(SweepDefinition sweep, IReadOnlyList<TrialRecord> trials, List<TrialRecord> done,
        IReadOnlyList<ComplexityBins> bins, AnalysisOptions o)
    {
        var errors = done.Select(t => t.Error!.Value).ToArray();
        var edf = new Edf(errors);
        var band = Bootstrap.EdfBand(edf, idx => new Edf([.. idx.Select(i => errors[i])]), Mix(o.Seed, "edf"), o.BandRepeats);
        var normalized = done.Count == 0 ? [] : bins.Select(b => Normalize(done, errors, b, o)).ToList();
        var effects = Effects(done, errors, o);
        int top = Math.Max(1, (int)Math.Ceiling(done.Count * BestRange.Fraction));
        var fits = done.Take(Math.Min(top, 10)).Select(t => FitWidths(t)).OfType<WidthFit>().ToList();
        var pooled = PooledFit(done.Take(top).ToList());
        return new SweepSummary(sweep.Name, DesignSpaces.Name(sweep.Space), trials.Count, done.Count,
            trials.Count(t => t.Status == TrialStatus.Failed), trials.Count(t => t.Status == TrialStatus.Pending),
            trials.Count(t => t.Status == TrialStatus.Running), edf, done.Take(o.Best).ToList(), effects, fits, pooled,
            trials.Where(t => t.Status == TrialStatus.Failed).ToList(), sweep.Settings)
        {
            AllDone = done, EdfBand = band, Normalized = normalized, ExpectedBest = Statistics.ExpectedBest.Curve(errors),
        };
    }

    private static NormalizedView Normalize(List<TrialRecord> done, double[] errors, ComplexityBins bins, AnalysisOptions o)
    {
        var complexity = done.Select(t => ComplexityOf(t, bins.Measure)).ToArray();
        var result = NormalizedEdf.Of(errors, complexity, bins);
        var band = Bootstrap.EdfBand(result.Edf, idx => NormalizedEdf.Of([.. idx.Select(i => errors[i])], [.. idx.Select(i => complexity[i])], bins).Edf,
            Mix(o.Seed, "edf-" + bins.Measure), o.BandRepeats);
        return new NormalizedView(result, band);
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

    private static List<ParameterEffect> Effects(IReadOnlyList<TrialRecord> done, double[] errors, AnalysisOptions o)
    {
        var list = new List<ParameterEffect>();
        var best = new BestRange(errors, Mix(o.Seed, "best-range"), o.BestRangeResamples);
        foreach (var name in OrderParameters(done.SelectMany(t => t.Parameters.Keys)))
        {
            double ValueOf(int i) => done[i].Parameters.TryGetValue(name, out var v) ? SpecValue(name, v) : double.NaN;
            var points = Enumerable.Range(0, done.Count).Where(i => done[i].Parameters.ContainsKey(name))
                .Select(i => (Value: ValueOf(i), Error: errors[i])).ToList();
            if (points.Count == 0) continue;
            list.Add(new ParameterEffect(name, points.Count, Spearman(points), TrendLine.Fit(points), best.Of(ValueOf), points));
        }
        return list;
    }

    /// <summary>
    /// A parameter as the report shows it. The sampler stores the bottleneck as the paper's ratio r (bottleneck width
    /// = w/r); the spec string and the report show b = 1/r, the multiplier (<c>b0.5</c>): one name, one meaning.
    /// </summary>
    public static double SpecValue(string name, double stored) =>
        IsBottleneck(name) && stored != 0 ? 1 / stored : stored;

    private static bool IsBottleneck(string name) => name.Length >= 1 && name[0] == 'b' && name.Skip(1).All(char.IsAsciiDigit);

    /// <summary>A statistic's own seed: the options' seed mixed with the statistic's name (FNV-1a), so streams differ.</summary>
    private static ulong Mix(ulong seed, string what)
    {
        ulong h = 1469598103934665603;
        foreach (char c in what) h = (h ^ c) * 1099511628211;
        return seed ^ h;
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
        var line = TrendLine.Fit(pts);
        double err = pts.Average(p => { double u = line.At(p.J); return u > 0 ? Math.Abs(Math.Log(p.W / u)) : double.NaN; });
        return (line.Intercept, line.Slope, err);
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
