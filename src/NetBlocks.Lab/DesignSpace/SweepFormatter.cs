using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetBlocks.DesignSpace.Statistics;

namespace NetBlocks.DesignSpace;

/// <summary>Text and JSON forms of sweeps for `netblocks sweep status` and `sweep report --json`.</summary>
public static class SweepFormatter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Status(SweepDefinition sweep, IReadOnlyList<TrialRecord> trials, string location)
    {
        var s = SweepAnalysis.Summarize(sweep, trials);
        var sb = new StringBuilder();
        var t = sweep.Settings;
        sb.AppendLine(Inv, $"sweep {sweep.Name}: {DesignSpaces.Describe(sweep.Space)}");
        sb.AppendLine(Inv, $"  store {location}; created {sweep.CreatedUtc:yyyy-MM-dd HH:mm} UTC; macs {Band(sweep.Macs)}, params {Band(sweep.Params)}");
        sb.AppendLine(Inv, $"  trials train {t.Epochs} epoch(s) at {t.Resize}×{t.Resize} on {Limit(t.LimitTrain)} images (val {Limit(t.LimitVal)}), lr {t.LearningRate}, batch {t.Batch}, seed {t.Seed}");
        int diverged = s.AllDone.Count(r => r.Diverged);
        sb.AppendLine(Inv, $"  {s.N} trials: {s.Done} done{(diverged > 0 ? $" ({diverged} diverged: chance-level error)" : "")}, {s.Running} running, {s.Pending} pending, {s.Failed} failed");
        foreach (var r in trials.Where(r => r.Status == TrialStatus.Running))
            sb.AppendLine(Inv, $"    running: trial {r.Index} (attempt {r.Attempts}) on {r.Worker}");
        foreach (var r in s.FailedTrials)
            sb.AppendLine(Inv, $"    failed: trial {r.Index} after {r.Attempts} attempt(s): {r.Message}");
        if (s.Best.Count > 0)
        {
            sb.AppendLine("  best so far:");
            foreach (var b in s.Best)
                sb.AppendLine(Inv, $"    {b.Error:F4}  {ValueRange.Format(b.Params),7} params  {ValueRange.Format(b.Macs),7} MACs  trial {b.Index}  {b.Spec}");
        }
        if (!s.Complete && s.Pending + s.Running > 0)
            sb.AppendLine("  continue with: netblocks sweep run " + sweep.Name + (location == TrialStores.DefaultPath ? "" : " --store " + location));
        return sb.ToString();
    }

    private static string Limit(int n) => n == 0 ? "all" : n.ToString("N0", Inv);

    private static string Band(ValueRange r) => r.IsAny ? "any" : r.ToString();

    /// <summary>
    /// The `--json` summary: {"analysis": {seed, …}, "sweeps": [{name, space, n, done, failed, pending, running, complete,
    /// min_error, median_error, near_best, edf, edf_band, normalized_edf, expected_best, best, parameters, width_fit,
    /// failures, trials (every finished trial by index, as best lists them)}], "comparisons": [{a, b, ks, p, …, verdict}], "files": …}: the numbers the HTML report shows.
    /// </summary>
    public static string Json(IReadOnlyList<SweepSummary> sweeps, IReadOnlyDictionary<string, string>? files = null, AnalysisOptions? options = null)
    {
        var o = options ?? new AnalysisOptions();
        var headlines = SweepHeadline.Of(sweeps);
        var arr = new JsonArray();
        for (int i = 0; i < sweeps.Count; i++)
        {
            var s = sweeps[i];
            var h = headlines[i];
            arr.Add(new JsonObject
            {
                ["name"] = s.Name,
                ["space"] = s.Space,
                ["n"] = s.N,
                ["done"] = s.Done,
                ["diverged"] = s.AllDone.Count(r => r.Diverged),
                ["failed"] = s.Failed,
                ["pending"] = s.Pending,
                ["running"] = s.Running,
                ["complete"] = s.Complete,
                ["min_error"] = Num(h.MinError),
                ["median_error"] = Num(h.MedianError),
                ["near_best"] = new JsonObject { ["error"] = Num(h.Reference), ["fraction"] = Num(h.NearBest) },
                ["edf"] = Steps(s.Edf),
                ["edf_band"] = BandJson(s.EdfBand),
                ["normalized_edf"] = new JsonArray([.. s.Normalized.Select(v => (JsonNode)new JsonObject
                {
                    ["by"] = v.Result.Bins.Measure == Complexity.Macs ? "macs" : "params",
                    ["bins"] = v.Result.Bins.K, ["low"] = Num(v.Result.Bins.Low), ["high"] = Num(v.Result.Bins.High),
                    ["counts"] = new JsonArray([.. v.Result.Counts.Select(c => (JsonNode)c)]), ["empty_bins"] = v.Result.EmptyBins,
                    ["edf"] = Steps(v.Result.Edf), ["band"] = BandJson(v.Band),
                })]),
                ["expected_best"] = new JsonArray([.. s.ExpectedBest.Select(p => (JsonNode)new JsonArray(p.M, Num(p.Error)))]),
                ["best"] = new JsonArray([.. s.Best.Select(TrialJson)]),
                ["parameters"] = new JsonArray([.. s.Effects.Select(e => (JsonNode)new JsonObject
                {
                    ["name"] = e.Name, ["n"] = e.N, ["spearman"] = Num(e.Spearman),
                    ["trend"] = new JsonObject { ["intercept"] = Num(e.Trend.Intercept), ["slope"] = Num(e.Trend.Slope) },
                    ["best_range"] = e.Best is { } r ? new JsonArray(Num(r.Low), Num(r.High)) : null,
                    ["best_median"] = e.Best is { } m ? Num(m.Median) : null,
                })]),
                ["width_fit"] = s.PooledFit is { } f ? new JsonObject
                {
                    ["models"] = f.Spec, ["w0"] = Num(f.W0), ["wa"] = Num(f.WA), ["wm"] = Num(f.WM), ["fit_error"] = Num(f.FitError),
                } : null,
                ["failures"] = new JsonArray([.. s.FailedTrials.Select(f => (JsonNode)new JsonObject { ["trial"] = f.Index, ["message"] = f.Message })]),
                ["trials"] = new JsonArray([.. s.AllDone.OrderBy(t => t.Index).Select(TrialJson)]),
            });
        }
        var root = new JsonObject
        {
            ["analysis"] = Analysis(o),
            ["sweeps"] = arr,
            ["comparisons"] = new JsonArray([.. SweepComparison.AgainstFirst(sweeps).Select(c => (JsonNode)Comparison(c))]),
        };
        if (files is not null) root["files"] = new JsonObject([.. files.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>What the numbers depend on besides the trials: seeds and resampling sizes.</summary>
    public static JsonObject Analysis(AnalysisOptions o) => new()
    {
        ["seed"] = o.Seed, ["bins"] = o.Bins, ["band_resamples"] = o.BandRepeats, ["best_range_resamples"] = o.BestRangeResamples,
        ["best_range_fraction"] = BestRange.Fraction, ["near_best_margin"] = SweepHeadline.Margin, ["alpha"] = SweepComparison.Alpha,
    };

    /// <summary>One comparison as JSON (also the `sweep compare --json` body).</summary>
    public static JsonObject Comparison(SweepComparison c) => new()
    {
        ["a"] = c.A, ["b"] = c.B, ["ks"] = Num(c.Test.D), ["ks_b_left"] = Num(c.Test.DBLeft), ["ks_a_left"] = Num(c.Test.DALeft),
        ["p"] = JsonValue.Create(c.Test.PValue), ["p_method"] = c.Test.Exact ? "exact" : "asymptotic", ["n_a"] = c.Test.NA, ["n_b"] = c.Test.NB,
        ["significant"] = c.Significant, ["samples_needed"] = c.SamplesNeeded,
        ["normalized_ks"] = new JsonObject([.. c.NormalizedD.Select(d => KeyValuePair.Create(d.Measure == Complexity.Macs ? "macs" : "params", Num(d.D)))]),
        ["verdict"] = c.Verdict,
    };

    private static JsonNode TrialJson(TrialRecord t) => new JsonObject
    {
        ["trial"] = t.Index, ["spec"] = t.Spec, ["error"] = Num(t.Error ?? double.NaN), ["params"] = t.Params, ["macs"] = t.Macs,
        ["seconds"] = Num(t.Seconds ?? double.NaN), ["diverged"] = t.Diverged,
    };

    private static JsonArray Steps(Edf edf) => new([.. edf.Steps.Select(p => (JsonNode)new JsonArray(Num(p.X), Num(p.F)))]);

    private static JsonArray BandJson(Band band) =>
        new([.. band.X.Select((x, j) => (JsonNode)new JsonArray(Num(x), Num(band.Low[j]), Num(band.High[j])))]);

    /// <summary>Numbers rounded to 6 decimals (p-values are written in full: a small one must not round to 0); non-finite → null.</summary>
    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    /// <summary>Warnings a report must show: sweeps with failed or unfinished trials.</summary>
    public static IEnumerable<string> Warnings(SweepSummary s)
    {
        if (s.Failed > 0) yield return $"sweep {s.Name}: {s.Failed} of {s.N} trials failed (see `netblocks sweep status {s.Name}`); the EDF covers the {s.Done} that finished";
        if (s.Pending + s.Running > 0) yield return $"sweep {s.Name} is unfinished: {s.Pending} pending and {s.Running} running of {s.N}; the EDF covers the {s.Done} done so far";
    }
}
