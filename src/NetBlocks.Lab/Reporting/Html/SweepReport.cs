using System.Globalization;
using System.Net;
using System.Text;
using NetBlocks.DesignSpace;
using NetBlocks.DesignSpace.Statistics;
using NetBlocks.Reporting.Charts;

namespace NetBlocks.Reporting.Html;

/// <summary>The files a sweep report wrote, by role.</summary>
/// <param name="AnalysisCharts">the normalized EDFs and the expected-best curve, by role ("edf_macs", "edf_params", "expected_best"), without extension.</param>
public sealed record SweepReportFiles(string Html, string EdfChart, IReadOnlyList<string> ParameterCharts)
{
    public IReadOnlyDictionary<string, string> AnalysisCharts { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> ToDictionary()
    {
        var d = new Dictionary<string, string> { ["html"] = Html, ["edf_svg"] = EdfChart + ".svg", ["edf_png"] = EdfChart + ".png" };
        foreach (var (role, path) in AnalysisCharts) { d[role + "_svg"] = path + ".svg"; d[role + "_png"] = path + ".png"; }
        return d;
    }
}

/// <summary>
/// `netblocks sweep report`: the EDFs of several sweeps on one chart (the paper's Fig. 2–5), error against every
/// design parameter and against MACs, the best models, the bootstrap best ranges, the width fits; as SVG/PNG charts
/// and one self-contained HTML page (charts inline as SVG, styles inline, no scripts, no external files).
/// </summary>
public static class SweepReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static SweepReportFiles Write(IReadOnlyList<SweepSummary> sweeps, string outDir, AnalysisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sweeps);
        if (sweeps.Count == 0) throw new ArgumentException("a report needs at least one sweep");
        var o = options ?? new AnalysisOptions();
        Directory.CreateDirectory(outDir);
        var edf = EdfChart(sweeps);
        var edfPath = Path.Combine(outDir, "edf");
        Chart.Save(edf, edfPath);
        var analysis = new List<(string Role, string Path, ChartSpec Spec)>();
        foreach (var measure in new[] { Complexity.Macs, Complexity.Params })
            analysis.Add(("edf_" + Slug(measure), Path.Combine(outDir, "edf-" + Slug(measure)), NormalizedEdfChart(sweeps, measure, o.Bins)));
        analysis.Add(("expected_best", Path.Combine(outDir, "expected-best"), ExpectedBestChart(sweeps)));
        foreach (var (_, path, spec) in analysis) Chart.Save(spec, path);
        var macs = ScatterChart(sweeps, "MACs", s => AllPoints(s, t => t.Macs), _ => null, "error against MACs (complexity)", AxisScale.Log10);
        var macsPath = Path.Combine(outDir, "error-vs-macs");
        Chart.Save(macs, macsPath);
        var paramCharts = new List<(string Name, ChartSpec Spec)>();
        var names = SweepAnalysis.OrderParameters(sweeps.SelectMany(s => s.Effects.Select(e => e.Name))).ToList();
        var files = new List<string> { macsPath };
        foreach (var name in names)
        {
            ParameterEffect? Of(SweepSummary s) => s.Effects.FirstOrDefault(e => e.Name == name);
            var spec = ScatterChart(sweeps, name, s => Of(s)?.Points ?? [], s => Of(s), $"error against {Describe(name)}");
            var path = Path.Combine(outDir, "error-vs-" + name);
            Chart.Save(spec, path);
            files.Add(path);
            paramCharts.Add((name, spec));
        }
        var html = Path.Combine(outDir, "report.html");
        AtomicWrite(html, Html(sweeps, o, edf, analysis.Select(a => a.Spec).ToList(), macs, paramCharts));
        return new SweepReportFiles(html, edfPath, files) { AnalysisCharts = analysis.ToDictionary(a => a.Role, a => a.Path) };
    }

    private static string Slug(Complexity c) => c == Complexity.Macs ? "macs" : "params";

    private static IReadOnlyList<(double, double)> AllPoints(SweepSummary s, Func<TrialRecord, double> x) =>
        [.. s.AllDone.Select(t => (x(t), t.Error!.Value))];

    /// <summary>Each sweep's EDF (ties counted, the same steps as the table and --json) with its 95% bootstrap band, dotted.</summary>
    public static ChartSpec EdfChart(IReadOnlyList<SweepSummary> sweeps) => new(
        "EDF of errors (dotted: 95% band)", "error e (1 - validation accuracy)", "F(e)",
        [.. sweeps.SelectMany((s, i) => EdfSeries($"{s.Name} [{s.Space}, n={s.Done}]", s.Edf, s.EdfBand, i))], 0, 1)
    { Legend = LegendPosition.LowerRight };

    /// <summary>The complexity-normalized EDFs (weights 1/(k·n_j)) with their bands.</summary>
    public static ChartSpec NormalizedEdfChart(IReadOnlyList<SweepSummary> sweeps, Complexity measure, int k)
    {
        var views = sweeps.Select(s => s.Normalized.FirstOrDefault(v => v.Result.Bins.Measure == measure)).ToList();
        return new ChartSpec($"normalized EDF: {(measure == Complexity.Macs ? "MACs" : "params")}, {k} bins", "error e (1 - validation accuracy)", "weighted F(e)",
            [.. sweeps.SelectMany((s, i) => views[i] is { } v ? EdfSeries($"{s.Name} [n={s.Done}]", v.Result.Edf, v.Band, i) : [])], 0, 1)
        { Legend = LegendPosition.LowerRight };
    }

    private static IEnumerable<Series> EdfSeries(string name, Edf edf, Band band, int i)
    {
        var color = Palette.Color(i);
        yield return new Series(name, edf.ChartPoints(), SeriesStyle.Step) { Color = color };
        if (band.X.Count == 0) yield break;
        foreach (var side in new[] { band.Low, band.High })
            yield return new Series("", [(band.X[0], 0), .. band.X.Select((x, j) => (x, side[j]))], SeriesStyle.Step) { Color = color, Dash = LineDash.Dotted, Width = 1 };
    }

    /// <summary>Random-search efficiency: E[best error of m models drawn] against m.</summary>
    public static ChartSpec ExpectedBestChart(IReadOnlyList<SweepSummary> sweeps) => new(
        "random search: E[best of m]", "models drawn m", "E[min error]",
        [.. sweeps.Select((s, i) => new Series(s.Name, [.. s.ExpectedBest.Select(p => ((double)p.M, p.Error))]) { Color = Palette.Color(i) })])
    { XScale = AxisScale.Log10 };

    private static ChartSpec ScatterChart(IReadOnlyList<SweepSummary> sweeps, string x, Func<SweepSummary, IReadOnlyList<(double, double)>> points,
        Func<SweepSummary, ParameterEffect?> effect, string title, AxisScale scale = AxisScale.Linear) => new(
        title, x, "error", [.. sweeps.SelectMany((s, i) => ScatterSeries(s, i, points(s), effect(s)))])
    { XScale = scale };

    /// <summary>A sweep's points, and its trend line (dashed, across the values it has) when there is one.</summary>
    private static IEnumerable<Series> ScatterSeries(SweepSummary s, int i, IReadOnlyList<(double X, double Y)> points, ParameterEffect? effect)
    {
        var color = Palette.Color(i);
        yield return new Series(s.Name, points, SeriesStyle.Markers) { Color = color };
        if (effect is null || points.Count < 2) yield break;
        double lo = points.Min(p => p.X), hi = points.Max(p => p.X);
        if (hi > lo) yield return new Series("", [(lo, effect.Trend.At(lo)), (hi, effect.Trend.At(hi))]) { Color = color, Dash = LineDash.Dashed, Width = 1.5 };
    }

    private static string Describe(string p) => p switch
    {
        "stages" => "the number of stages",
        "stem" => "the stem width",
        "d" => "the RegNet depth d",
        "w0" => "the RegNet initial width w0",
        "wa" => "the RegNet slope wa",
        "wm" => "the RegNet width multiplier wm",
        "g" => "the shared group width g",
        "b" => "the shared bottleneck multiplier b",
        _ when p.Length > 1 && "dwgb".Contains(p[0]) =>
            (p[0] switch { 'd' => "depth", 'w' => "width", 'g' => "group width", _ => "bottleneck multiplier b" }) + " of stage " + p[1..],
        _ => p,
    };

    private static string Html(IReadOnlyList<SweepSummary> sweeps, AnalysisOptions o, ChartSpec edf, IReadOnlyList<ChartSpec> analysis, ChartSpec macs,
        IReadOnlyList<(string Name, ChartSpec Spec)> paramCharts)
    {
        var h = new StringBuilder();
        string E(string s) => WebUtility.HtmlEncode(s);
        string F(double v, string fmt = "0.####") => double.IsFinite(v) ? v.ToString(fmt, Inv) : "—";
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>NetBlocks sweep report: ")
         .Append(E(string.Join(", ", sweeps.Select(s => s.Name)))).Append("</title>\n<style>")
         .Append("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}")
         .Append("table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
         .Append("td.l,th.l{text-align:left;font-family:monospace}.warn{background:#fff3cd;border:1px solid #e0c36c;padding:.6em 1em;margin:.5em 0}")
         .Append(".charts{display:flex;flex-wrap:wrap;gap:8px}.charts svg{width:520px;height:auto}</style></head><body>\n");
        h.Append("<h1>Design-space sweep report</h1>\n<p>Sweeps: ").Append(E(string.Join(", ", sweeps.Select(s => $"{s.Name} ({s.Space})"))))
         .Append(". Error is 1 − validation accuracy after each trial's short training (multi-fidelity: few epochs, low resolution, a subset of the data).</p>\n");
        foreach (var w in sweeps.SelectMany(SweepFormatter.Warnings)) h.Append("<div class=\"warn\">⚠ ").Append(E(w)).Append("</div>\n");

        h.Append("<h2>Error distributions (EDF)</h2>\n<p>F(e) is the fraction of a sweep's finished models with error ≤ e; every model counts, tied ones too, ")
         .Append("so a step is as high as the number of models at that error over n. A space whose EDF lies above (left of) another's has more good models at ")
         .Append(Inv, $"every error level (Radosavovic et al.). Dotted: the pointwise 95% band of {o.BandRepeats} bootstrap resamples (seed {o.Seed}).</p>\n");
        h.Append(Chart.ToSvg(edf, 760, 460)).Append('\n');
        h.Append("<table><tr><th class=l>sweep</th><th class=l>space</th><th>trials</th><th>done</th><th>failed</th><th>unfinished</th><th>min error</th><th>median error</th><th>F(min+0.05)</th><th class=l>training</th></tr>\n");
        var headlines = SweepHeadline.Of(sweeps);
        for (int i = 0; i < sweeps.Count; i++)
        {
            var (s, hl, t) = (sweeps[i], headlines[i], sweeps[i].Settings);
            h.Append(Inv, $"<tr><td class=l>{E(s.Name)}</td><td class=l>{E(s.Space)}</td><td>{s.N}</td><td>{s.Done}</td><td>{s.Failed}</td><td>{s.Pending + s.Running}</td>")
             .Append(Inv, $"<td>{F(hl.MinError)}</td><td>{F(hl.MedianError)}</td><td>{F(hl.NearBest, "0.00")}</td><td class=l>{t.Epochs} ep, {t.Resize}px, {t.LimitTrain} img</td></tr>\n");
        }
        h.Append(Inv, $"</table>\n<p>median error: the smallest e with F(e) ≥ 0.5. F(min+0.05): F at {F(headlines[0].Reference)}, the best error over all sweeps + 0.05.</p>\n");

        var comparisons = SweepComparison.AgainstFirst(sweeps);
        if (comparisons.Count > 0)
        {
            h.Append("<h2>Are the spaces different? (Kolmogorov–Smirnov)</h2>\n<p>KS = sup |F<sub>A</sub> − F<sub>B</sub>| of the error EDFs; p is its two-sided ")
             .Append("p-value (exact permutation distribution, or the asymptotic Kolmogorov one for very large sweeps); \"models needed\" is how many models per space ")
             .Append("a difference of this size needs to be significant at p &lt; 0.05 (⌈2·(1.358/KS)²⌉). Normalized KS: the same distance between the complexity-normalized EDFs.</p>\n")
             .Append("<table><tr><th class=l>A</th><th class=l>B</th><th>KS</th><th>p</th><th>n</th><th>models needed</th><th>KS by MACs</th><th>KS by params</th><th class=l>verdict</th></tr>\n");
            foreach (var c in comparisons)
            {
                string Nd(Complexity m) => F(c.NormalizedD.Where(d => d.Measure == m).Select(d => d.D).DefaultIfEmpty(double.NaN).First(), "0.000");
                h.Append(Inv, $"<tr><td class=l>{E(c.A)}</td><td class=l>{E(c.B)}</td><td>{F(c.Test.D, "0.000")}</td><td>{F(c.Test.PValue, "0.####")}</td><td>{c.Test.NA} + {c.Test.NB}</td>")
                 .Append(Inv, $"<td>{(c.SamplesNeeded is int k ? k.ToString(Inv) : "—")}</td><td>{Nd(Complexity.Macs)}</td><td>{Nd(Complexity.Params)}</td><td class=l>{E(c.Verdict)}</td></tr>\n");
            }
            h.Append("</table>\n");
        }

        h.Append(Inv, $"<h2>Complexity-normalized EDFs</h2>\n<p>Radosavovic et al. 2019: the models are put in {o.Bins} equal-width bins of MACs (or parameters) ")
         .Append("over the range of all sweeps here, and a model of bin j weighs 1/(k·n<sub>j</sub>), so every bin counts the same and spaces that sample complexity differently ")
         .Append("compare fairly. Empty bins are left out and the others share their weight (k = the non-empty bins); the counts below say which are empty.</p>\n<div class=charts>\n");
        foreach (var spec in analysis.Take(2)) h.Append(Chart.ToSvg(spec, 520, 340)).Append('\n');
        h.Append("</div>\n<table><tr><th class=l>sweep</th><th class=l>by</th><th>range</th><th class=l>models per bin</th><th>empty bins</th></tr>\n");
        foreach (var s in sweeps)
            foreach (var v in s.Normalized)
                h.Append(Inv, $"<tr><td class=l>{E(s.Name)}</td><td class=l>{ComplexityBins.Name(v.Result.Bins.Measure)}</td><td>{ValueRange.Format((long)v.Result.Bins.Low)}..{ValueRange.Format((long)v.Result.Bins.High)}</td>")
                 .Append(Inv, $"<td class=l>{string.Join(" ", v.Result.Counts)}</td><td>{v.Result.EmptyBins}</td></tr>\n");
        h.Append("</table>\n");

        h.Append("<h2>Random-search efficiency</h2>\n<p>The expected best error among m models drawn at random from each space (with replacement from the sweep's ")
         .Append("finished models; exact, from order statistics): how fast random search finds a good model in that space.</p>\n")
         .Append(Chart.ToSvg(analysis[2], 620, 360)).Append("\n<table><tr><th class=l>sweep</th>");
        var ms = sweeps.SelectMany(s => s.ExpectedBest.Select(p => p.M)).Distinct().Order().ToList();
        foreach (var m in ms) h.Append(Inv, $"<th>m = {m}</th>");
        h.Append("</tr>\n");
        foreach (var s in sweeps)
        {
            h.Append(Inv, $"<tr><td class=l>{E(s.Name)}</td>");
            foreach (var m in ms) h.Append(Inv, $"<td>{F(s.ExpectedBest.Where(p => p.M == m).Select(p => p.Error).DefaultIfEmpty(double.NaN).First())}</td>");
            h.Append("</tr>\n");
        }
        h.Append("</table>\n");

        h.Append("<h2>Best models</h2>\n");
        foreach (var s in sweeps.Where(s => s.Best.Count > 0))
        {
            h.Append("<h3>").Append(E(s.Name)).Append("</h3>\n<table><tr><th>trial</th><th>error</th><th>params</th><th>MACs</th><th>seconds</th><th class=l>spec</th></tr>\n");
            foreach (var b in s.Best)
                h.Append(Inv, $"<tr><td>{b.Index}</td><td>{F(b.Error ?? double.NaN)}</td><td>{ValueRange.Format(b.Params)}</td><td>{ValueRange.Format(b.Macs)}</td><td>{F(b.Seconds ?? double.NaN, "0.0")}</td><td class=l>{E(b.Spec)}</td></tr>\n");
            h.Append("</table>\n");
        }

        h.Append("<h2>Which parameter matters (the VioNet exercise)</h2>\n<p>|ρ| is Spearman's rank correlation of a parameter with error over the finished models: ")
         .Append("the larger, the more that parameter alone orders the models; the slope is that of the least-squares trend line drawn on its chart (error per unit). ")
         .Append(Inv, $"The best range is pycls's bootstrap: {o.BestRangeResamples} times, draw {BestRange.Fraction:P0} of the models with replacement and keep the best one; ")
         .Append("the 2.5th–97.5th percentiles and the median of the winners' values. b is the spec's bottleneck multiplier (bottleneck width = w·b, as in <code>b0.5</code>).</p>\n");
        foreach (var s in sweeps.Where(s => s.Effects.Count > 0))
        {
            h.Append("<h3>").Append(E(s.Name)).Append("</h3>\n<table><tr><th class=l>parameter</th><th>n</th><th>ρ</th><th>|ρ| rank</th><th>trend slope</th><th>best range (95%)</th><th>best median</th></tr>\n");
            var ranked = s.Effects.Where(e => double.IsFinite(e.Spearman)).OrderByDescending(e => Math.Abs(e.Spearman)).Select(e => e.Name).ToList();
            foreach (var e in s.Effects)
            {
                int rank = ranked.IndexOf(e.Name);
                h.Append(Inv, $"<tr><td class=l>{E(Describe(e.Name))} ({E(e.Name)})</td><td>{e.N}</td><td>{F(e.Spearman, "0.00")}</td><td>{(rank < 0 ? "—" : (rank + 1).ToString(Inv))}</td>")
                 .Append(Inv, $"<td>{F(e.Trend.Slope, "0.####")}</td><td>{F(e.Best?.Low ?? double.NaN, "0.##")} … {F(e.Best?.High ?? double.NaN, "0.##")}</td><td>{F(e.Best?.Median ?? double.NaN, "0.##")}</td></tr>\n");
            }
            h.Append("</table>\n");
        }

        h.Append("<h2>Width structure of the best models</h2>\n<p>A line w<sub>j</sub> ≈ w0 + wa·j fitted to each good model's per-block widths (j = block index), ")
         .Append("wm the mean ratio of consecutive stage widths, fit error the mean |log(w<sub>j</sub>/u<sub>j</sub>)|. RegNet's claim: good models are close to linear.</p>\n");
        foreach (var s in sweeps.Where(s => s.BestWidthFits.Count > 0))
        {
            h.Append("<h3>").Append(E(s.Name)).Append("</h3>\n<table><tr><th>trial</th><th>error</th><th>w0</th><th>wa</th><th>wm</th><th>fit error</th><th class=l>spec</th></tr>\n");
            foreach (var f in s.BestWidthFits.Append(s.PooledFit).OfType<WidthFit>())
                h.Append(Inv, $"<tr><td>{(f.Index < 0 ? "pooled" : f.Index.ToString(Inv))}</td><td>{F(f.Error)}</td><td>{F(f.W0, "0.0")}</td><td>{F(f.WA, "0.0")}</td><td>{F(f.WM, "0.00")}</td><td>{F(f.FitError, "0.000")}</td><td class=l>{E(f.Spec)}</td></tr>\n");
            h.Append("</table>\n");
        }

        h.Append("<h2>Error against complexity and each design parameter</h2>\n<div class=charts>\n").Append(Chart.ToSvg(macs, 520, 340)).Append('\n');
        foreach (var (_, spec) in paramCharts) h.Append(Chart.ToSvg(spec, 520, 340)).Append('\n');
        h.Append("</div>\n");

        foreach (var s in sweeps.Where(s => s.FailedTrials.Count > 0))
        {
            h.Append("<h2>Failed trials of ").Append(E(s.Name)).Append("</h2>\n<table><tr><th>trial</th><th>attempts</th><th class=l>message</th><th class=l>spec</th></tr>\n");
            foreach (var f in s.FailedTrials)
                h.Append(Inv, $"<tr><td>{f.Index}</td><td>{f.Attempts}</td><td class=l>{E(f.Message ?? "")}</td><td class=l>{E(f.Spec)}</td></tr>\n");
            h.Append("</table>\n");
        }
        h.Append(Inv, $"<p><small>Generated by NetBlocks on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.</small></p>\n</body></html>\n");
        return h.ToString();
    }

    private static void AtomicWrite(string path, string content)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, content, new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }
}
