using System.Globalization;
using System.Net;
using System.Text;
using NetBlocks.DesignSpace;
using NetBlocks.Reporting.Charts;

namespace NetBlocks.Reporting.Html;

/// <summary>The files a sweep report wrote, by role.</summary>
public sealed record SweepReportFiles(string Html, string EdfChart, IReadOnlyList<string> ParameterCharts)
{
    public IReadOnlyDictionary<string, string> ToDictionary() => new Dictionary<string, string>
    {
        ["html"] = Html, ["edf_svg"] = EdfChart + ".svg", ["edf_png"] = EdfChart + ".png",
    };
}

/// <summary>
/// `netblocks sweep report`: the EDFs of several sweeps on one chart (the paper's Fig. 2–5), error against every
/// design parameter and against MACs, the best models, the bootstrap best ranges, the width fits; as SVG/PNG charts
/// and one self-contained HTML page (charts inline as SVG, styles inline, no scripts, no external files).
/// </summary>
public static class SweepReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static SweepReportFiles Write(IReadOnlyList<SweepSummary> sweeps, string outDir)
    {
        ArgumentNullException.ThrowIfNull(sweeps);
        if (sweeps.Count == 0) throw new ArgumentException("a report needs at least one sweep");
        Directory.CreateDirectory(outDir);
        var edf = EdfChart(sweeps);
        var edfPath = Path.Combine(outDir, "edf");
        Chart.Save(edf, edfPath);
        var macs = ScatterChart(sweeps, "MACs", s => AllPoints(s, t => t.Macs), "error against MACs (complexity)", AxisScale.Log10);
        var macsPath = Path.Combine(outDir, "error-vs-macs");
        Chart.Save(macs, macsPath);
        var paramCharts = new List<(string Name, ChartSpec Spec)>();
        var names = SweepAnalysis.OrderParameters(sweeps.SelectMany(s => s.Effects.Select(e => e.Name))).ToList();
        var files = new List<string> { macsPath };
        foreach (var name in names)
        {
            var spec = ScatterChart(sweeps, name, s => s.Effects.FirstOrDefault(e => e.Name == name)?.Points ?? [], $"error against {Describe(name)}");
            var path = Path.Combine(outDir, "error-vs-" + name);
            Chart.Save(spec, path);
            files.Add(path);
            paramCharts.Add((name, spec));
        }
        var html = Path.Combine(outDir, "report.html");
        AtomicWrite(html, Html(sweeps, edf, macs, paramCharts));
        return new SweepReportFiles(html, edfPath, files);
    }

    private static IReadOnlyList<(double, double)> AllPoints(SweepSummary s, Func<TrialRecord, double> x) =>
        [.. s.AllDone.Select(t => (x(t), t.Error!.Value))];

    public static ChartSpec EdfChart(IReadOnlyList<SweepSummary> sweeps) => new(
        "EDF: fraction of models with error <= e", "error e (1 - validation accuracy)", "F(e)",
        [.. sweeps.Select(s => Series.Edf($"{s.Name} [{s.Space}, n={s.Done}]", s.Errors))], 0, 1)
    { Legend = LegendPosition.LowerRight };

    private static ChartSpec ScatterChart(IReadOnlyList<SweepSummary> sweeps, string x, Func<SweepSummary, IReadOnlyList<(double, double)>> points,
        string title, AxisScale scale = AxisScale.Linear) => new(
        title, x, "error", [.. sweeps.Select(s => new Series(s.Name, points(s), SeriesStyle.Markers))])
    { XScale = scale };

    private static string Describe(string p) => p switch
    {
        "stages" => "the number of stages",
        "stem" => "the stem width",
        "d" => "the RegNet depth d",
        "w0" => "the RegNet initial width w0",
        "wa" => "the RegNet slope wa",
        "wm" => "the RegNet width multiplier wm",
        "g" => "the shared group width g",
        "b" => "the shared bottleneck ratio b",
        _ when p.Length > 1 && "dwgb".Contains(p[0]) =>
            (p[0] switch { 'd' => "depth", 'w' => "width", 'g' => "group width", _ => "bottleneck ratio" }) + " of stage " + p[1..],
        _ => p,
    };

    private static string Html(IReadOnlyList<SweepSummary> sweeps, ChartSpec edf, ChartSpec macs, IReadOnlyList<(string Name, ChartSpec Spec)> paramCharts)
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

        h.Append("<h2>Error distributions (EDF)</h2>\n<p>A space whose EDF lies above another's has more good models at every error level (Radosavovic et al.).</p>\n");
        h.Append(Chart.ToSvg(edf, 760, 460)).Append('\n');
        h.Append("<table><tr><th class=l>sweep</th><th class=l>space</th><th>trials</th><th>done</th><th>failed</th><th>unfinished</th><th>min error</th><th>median error</th><th>F(min+0.05)</th><th class=l>training</th></tr>\n");
        foreach (var s in sweeps)
        {
            var errs = s.Errors;
            double min = errs.Count > 0 ? errs.Min() : double.NaN, med = errs.Count > 0 ? errs.Order().ElementAt(errs.Count / 2) : double.NaN;
            double globalMin = sweeps.SelectMany(x => x.Errors).DefaultIfEmpty(double.NaN).Min();
            double f = errs.Count > 0 ? errs.Count(e => e <= globalMin + 0.05) / (double)errs.Count : double.NaN;
            var t = s.Settings;
            h.Append(Inv, $"<tr><td class=l>{E(s.Name)}</td><td class=l>{E(s.Space)}</td><td>{s.N}</td><td>{s.Done}</td><td>{s.Failed}</td><td>{s.Pending + s.Running}</td>")
             .Append(Inv, $"<td>{F(min)}</td><td>{F(med)}</td><td>{F(f, "0.00")}</td><td class=l>{t.Epochs} ep, {t.Resize}px, {t.LimitTrain} img</td></tr>\n");
        }
        h.Append("</table>\n<p>F(min+0.05): fraction of each sweep's models within 0.05 of the best error over all sweeps.</p>\n");

        h.Append("<h2>Best models</h2>\n");
        foreach (var s in sweeps.Where(s => s.Best.Count > 0))
        {
            h.Append("<h3>").Append(E(s.Name)).Append("</h3>\n<table><tr><th>trial</th><th>error</th><th>params</th><th>MACs</th><th>seconds</th><th class=l>spec</th></tr>\n");
            foreach (var b in s.Best)
                h.Append(Inv, $"<tr><td>{b.Index}</td><td>{F(b.Error ?? double.NaN)}</td><td>{ValueRange.Format(b.Params)}</td><td>{ValueRange.Format(b.Macs)}</td><td>{F(b.Seconds ?? double.NaN, "0.0")}</td><td class=l>{E(b.Spec)}</td></tr>\n");
            h.Append("</table>\n");
        }

        h.Append("<h2>Which parameter matters (the VioNet exercise)</h2>\n<p>|ρ| is Spearman's rank correlation of a parameter with error over the finished models: ")
         .Append("the larger, the more that parameter alone orders the models. The best range is the paper's bootstrap: the parameter of the best model in a 25% ")
         .Append("subsample (with replacement), over 1000 repeats; 95% interval and median.</p>\n");
        foreach (var s in sweeps.Where(s => s.Effects.Count > 0))
        {
            h.Append("<h3>").Append(E(s.Name)).Append("</h3>\n<table><tr><th class=l>parameter</th><th>n</th><th>ρ</th><th>|ρ| rank</th><th>best range (95%)</th><th>best median</th></tr>\n");
            var ranked = s.Effects.Where(e => double.IsFinite(e.Spearman)).OrderByDescending(e => Math.Abs(e.Spearman)).Select(e => e.Name).ToList();
            foreach (var e in s.Effects)
            {
                int rank = ranked.IndexOf(e.Name);
                h.Append(Inv, $"<tr><td class=l>{E(Describe(e.Name))} ({E(e.Name)})</td><td>{e.N}</td><td>{F(e.Spearman, "0.00")}</td><td>{(rank < 0 ? "—" : (rank + 1).ToString(Inv))}</td>")
                 .Append(Inv, $"<td>{F(e.BestLow, "0.##")} … {F(e.BestHigh, "0.##")}</td><td>{F(e.BestMedian, "0.##")}</td></tr>\n");
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
