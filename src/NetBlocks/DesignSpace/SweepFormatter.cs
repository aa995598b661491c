using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

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
        sb.AppendLine(Inv, $"  {s.N} trials: {s.Done} done, {s.Running} running, {s.Pending} pending, {s.Failed} failed");
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

    /// <summary>The `--json` summary: {"sweeps": [{name, space, n, done, failed, pending, running, complete, edf, best, parameters, width_fit}], "files": …}.</summary>
    public static string Json(IReadOnlyList<SweepSummary> sweeps, IReadOnlyDictionary<string, string>? files = null)
    {
        var arr = new JsonArray();
        foreach (var s in sweeps)
        {
            arr.Add(new JsonObject
            {
                ["name"] = s.Name,
                ["space"] = s.Space,
                ["n"] = s.N,
                ["done"] = s.Done,
                ["failed"] = s.Failed,
                ["pending"] = s.Pending,
                ["running"] = s.Running,
                ["complete"] = s.Complete,
                ["edf"] = new JsonArray([.. s.Edf.Select(p => (JsonNode)new JsonArray(Num(p.Error), Num(p.Fraction)))]),
                ["best"] = new JsonArray([.. s.Best.Select(b => (JsonNode)new JsonObject
                {
                    ["trial"] = b.Index, ["spec"] = b.Spec, ["error"] = Num(b.Error ?? double.NaN), ["params"] = b.Params, ["macs"] = b.Macs,
                    ["seconds"] = Num(b.Seconds ?? double.NaN),
                })]),
                ["parameters"] = new JsonArray([.. s.Effects.Select(e => (JsonNode)new JsonObject
                {
                    ["name"] = e.Name, ["n"] = e.N, ["spearman"] = Num(e.Spearman),
                    ["best_range"] = new JsonArray(Num(e.BestLow), Num(e.BestHigh)), ["best_median"] = Num(e.BestMedian),
                })]),
                ["width_fit"] = s.PooledFit is { } f ? new JsonObject
                {
                    ["models"] = f.Spec, ["w0"] = Num(f.W0), ["wa"] = Num(f.WA), ["wm"] = Num(f.WM), ["fit_error"] = Num(f.FitError),
                } : null,
                ["failures"] = new JsonArray([.. s.FailedTrials.Select(f => (JsonNode)new JsonObject { ["trial"] = f.Index, ["message"] = f.Message })]),
            });
        }
        var root = new JsonObject { ["sweeps"] = arr };
        if (files is not null) root["files"] = new JsonObject([.. files.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    /// <summary>Warnings a report must show: sweeps with failed or unfinished trials.</summary>
    public static IEnumerable<string> Warnings(SweepSummary s)
    {
        if (s.Failed > 0) yield return $"sweep {s.Name}: {s.Failed} of {s.N} trials failed (see `netblocks sweep status {s.Name}`); the EDF covers the {s.Done} that finished";
        if (s.Pending + s.Running > 0) yield return $"sweep {s.Name} is unfinished: {s.Pending} pending and {s.Running} running of {s.N}; the EDF covers the {s.Done} done so far";
    }
}
