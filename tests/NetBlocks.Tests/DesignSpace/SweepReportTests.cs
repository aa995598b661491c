using System.Net;
using System.Text.Json;
using NetBlocks.DesignSpace;
using NetBlocks.Reporting.Html;
using NetBlocks.Tests.Cli;
using NetBlocks.Tests.Data;

namespace NetBlocks.Tests.DesignSpace;

/// <summary>
/// `sweep report` and `sweep compare` on small stores whose trials are completed through the store with chosen errors
/// (no training): ties, the numbers in chart, table and JSON, the KS verdict, and the errors users meet.
/// </summary>
public sealed class SweepReportTests : IDisposable
{
    private readonly TempDir dir = new();
    private string Store => dir["sweeps.db"];

    public void Dispose() => dir.Dispose();

    /// <summary>A sweep of one-stage AnyNets (bottleneck ratio 2 stored, b0.5 in the spec) whose trial i finished with errors[i].</summary>
    private void Sweep(string name, IReadOnlyList<double> errors, int pending = 0)
    {
        using var store = new SqliteTrialStore(Store);
        var models = Enumerable.Range(0, errors.Count + pending).Select(i =>
        {
            int w = 16 * (i % 4 + 1);
            return new SampledModel(i, $"anynet:stem=16,1x{w}g8b0.5", new Dictionary<string, double> { ["d1"] = 1, ["w1"] = w, ["g1"] = 8, ["b1"] = 2 }, 100 * (i + 1), 1000 * (i + 1));
        }).ToList();
        store.CreateSweep(new SweepDefinition(name, SpaceKind.AnyNetXA, new TrialSettings()), models);
        for (int k = 0; k < errors.Count; k++)
        {
            var claim = store.Claim(name, "test", TimeSpan.FromMinutes(1))!;
            Assert.True(store.Complete(claim, new TrialResult(errors[claim.Index], 1, [])));
        }
    }

    private static double[] Range(double from, int n) => [.. Enumerable.Range(0, n).Select(i => Math.Round(from + 0.01 * i, 2))];

    [Fact]
    public void Tied_errors_count_in_the_chart_the_table_and_the_json()
    {
        // Issue #10 item 1: {0.2, 0.2, 0.2, 0.9} has F(0.2) = 0.75, not 0.5 (the distinct errors counted once).
        Sweep("ties", [0.2, 0.9, 0.2, 0.2]);
        using (var store = new SqliteTrialStore(Store))
        {
            var summary = SweepAnalysis.Summarize(store.GetSweep("ties")!, store.Trials("ties"));
            Assert.Equal([(0.2, 0.0), (0.2, 0.75), (0.9, 1.0)], SweepReport.EdfChart([summary]).Series[0].Points);
            var headline = Assert.Single(SweepHeadline.Of([summary]));
            Assert.Equal((0.2, 0.2, 0.75), (headline.MinError, headline.MedianError, headline.NearBest));
        }
        var r = CliRunner.Run("sweep", "report", "ties", "--json", "--out", dir["report"], "--store", Store);
        Assert.True(r.Code == 0, r.Err);
        using var json = JsonDocument.Parse(r.Out);
        var sweep = json.RootElement.GetProperty("sweeps")[0];
        Assert.Equal([(0.2, 0.75), (0.9, 1.0)], sweep.GetProperty("edf").EnumerateArray().Select(p => (p[0].GetDouble(), p[1].GetDouble())));
        Assert.Equal(0.2, sweep.GetProperty("median_error").GetDouble());
        Assert.Equal((0.25, 0.75), (sweep.GetProperty("near_best").GetProperty("error").GetDouble(), sweep.GetProperty("near_best").GetProperty("fraction").GetDouble()));
        Assert.Equal(0.375, sweep.GetProperty("expected_best")[0][1].GetDouble());
        var html = File.ReadAllText(Path.Combine(dir["report"], "report.html"));
        Assert.Contains("<td>4</td><td>4</td><td>0</td><td>0</td><td>0.2</td><td>0.2</td><td>0.75</td>", html);
        // The SVG chart draws the 0.75 step: its points are the chart's, checked above; the file exists for both renderers.
        Assert.True(File.Exists(Path.Combine(dir["report"], "edf.svg")) && File.Exists(Path.Combine(dir["report"], "edf.png")));
    }

    [Fact]
    public void Report_json_and_html_carry_the_same_analysis_and_are_reproducible()
    {
        Sweep("A", Range(0.50, 10));
        Sweep("B", Range(0.10, 10));
        var r = CliRunner.Run("sweep", "report", "A", "B", "--json", "--out", dir["report"], "--store", Store);
        Assert.True(r.Code == 0, r.Err);
        using var json = JsonDocument.Parse(r.Out);
        var root = json.RootElement;
        Assert.Equal((0ul, 10, 2500), (root.GetProperty("analysis").GetProperty("seed").GetUInt64(), root.GetProperty("analysis").GetProperty("bins").GetInt32(),
            root.GetProperty("analysis").GetProperty("best_range_resamples").GetInt32()));
        var c = Assert.Single(root.GetProperty("comparisons").EnumerateArray());
        // Completely separated 10 + 10: KS 1, exact p = 2 / C(20, 10).
        Assert.Equal(1.0, c.GetProperty("ks").GetDouble());
        Assert.Equal(2.0 / 184756, c.GetProperty("p").GetDouble(), 15);
        Assert.Equal("exact", c.GetProperty("p_method").GetString());
        Assert.Equal(4, c.GetProperty("samples_needed").GetInt32()); // ⌈2·1.3581²/1²⌉ = ⌈3.69⌉
        Assert.Equal("B's EDF is left of A's: KS 1, p = 1.1e-5, n = 10 + 10", c.GetProperty("verdict").GetString());
        var a = root.GetProperty("sweeps")[0];
        Assert.Equal(10, a.GetProperty("edf_band").GetArrayLength());
        Assert.All(a.GetProperty("edf_band").EnumerateArray(), p => Assert.True(p[1].GetDouble() <= p[2].GetDouble()));
        var normalized = a.GetProperty("normalized_edf");
        Assert.Equal(["macs", "params"], normalized.EnumerateArray().Select(v => v.GetProperty("by").GetString()));
        // A's MACs are 1000..10000, B's the same: 10 bins over [1000, 10000], one model each.
        Assert.Equal(Enumerable.Repeat(1, 10), normalized[0].GetProperty("counts").EnumerateArray().Select(x => x.GetInt32()));
        var b1 = a.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "b1");
        Assert.Equal(0.5, b1.GetProperty("best_median").GetDouble()); // the spec's b (b0.5), not the stored ratio 2
        var w1 = a.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "w1");
        Assert.True(w1.TryGetProperty("trend", out var trend) && trend.GetProperty("slope").ValueKind == JsonValueKind.Number);

        var files = root.GetProperty("files");
        foreach (var key in new[] { "html", "edf_svg", "edf_png", "edf_macs_svg", "edf_params_png", "expected_best_svg", "expected_best_png" })
            Assert.True(File.Exists(files.GetProperty(key).GetString()), key);
        var html = File.ReadAllText(files.GetProperty("html").GetString()!);
        Assert.Contains(WebUtility.HtmlEncode(c.GetProperty("verdict").GetString()!), html);
        Assert.Contains("Complexity-normalized EDFs", html);
        Assert.Contains("Random-search efficiency", html);
        Assert.Contains("<td>1.000</td><td>0</td><td>10 + 10</td><td>4</td>", html);

        // Same seed, same numbers; the seed is the only source of randomness.
        Assert.Equal(r.Out, CliRunner.Run("sweep", "report", "A", "B", "--json", "--out", dir["report"], "--store", Store).Out);
        var other = CliRunner.Run("sweep", "report", "A", "B", "--json", "--seed", "9", "--out", dir["report2"], "--store", Store);
        using var otherJson = JsonDocument.Parse(other.Out);
        Assert.Equal(9ul, otherJson.RootElement.GetProperty("analysis").GetProperty("seed").GetUInt64());
        Assert.Equal(c.GetProperty("verdict").GetString(), otherJson.RootElement.GetProperty("comparisons")[0].GetProperty("verdict").GetString());
    }

    [Fact]
    public void Compare_prints_the_verdict_in_words()
    {
        Sweep("A", Range(0.50, 10));
        Sweep("B", Range(0.10, 10));
        Sweep("C", [0.1, 0.3, 0.5]);
        Sweep("D", [0.2, 0.4, 0.6]);
        var r = CliRunner.Run("sweep", "compare", "A", "B", "--store", Store);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("A (anynetx-a): 10 done, min error 0.5, median 0.54\n" +
                     "B (anynetx-a): 10 done, min error 0.1, median 0.14\n" +
                     "B's EDF is left of A's: KS 1, p = 1.1e-5, n = 10 + 10\n" +
                     "normalized by complexity (10 bins): KS 1 by MACs, KS 1 by parameters\n", r.Out);
        Assert.Contains("B's EDF is left of A's: KS 1", CliRunner.Run("sweep", "compare", "B", "A", "--store", Store).Out); // whichever is named first
        // 3 + 3 that interleave: KS 1/3, p = 1; such a difference needs ⌈2·1.3581²·9⌉ = 34 models per space.
        var weak = CliRunner.Run("sweep", "compare", "C", "D", "--store", Store);
        Assert.Contains("no significant difference between C and D: KS 0.333, p = 1, n = 3 + 3; a difference of this size needs about 34 models per space to show at p < 0.05\n", weak.Out);
        var same = CliRunner.Run("sweep", "compare", "C", "C", "--store", Store);
        Assert.Contains("C and C have the same EDF: KS 0, p = 1, n = 3 + 3\n", same.Out);

        var j = CliRunner.Run("sweep", "compare", "C", "D", "--json", "--store", Store);
        using var json = JsonDocument.Parse(j.Out);
        var cmp = json.RootElement.GetProperty("comparison");
        Assert.Equal(0.333333, cmp.GetProperty("ks").GetDouble());
        Assert.Equal((1.0, 34, false), (cmp.GetProperty("p").GetDouble(), cmp.GetProperty("samples_needed").GetInt32(), cmp.GetProperty("significant").GetBoolean()));
    }

    [Theory]
    [InlineData("error: no sweep 'nope' in", "compare", "A", "nope")]
    [InlineData("error: sweep half has no finished trials to compare; run it first (netblocks sweep run half)", "compare", "A", "half")]
    [InlineData("error: --bins must be between 1 and 1000, got 0", "compare", "A", "half", "--bins", "0")]
    [InlineData("error: --bins must be between 1 and 1000, got 1000000000", "report", "A", "--bins", "1000000000")]
    public void Bad_compare_and_report_input_says_what_is_wrong(string expected, params string[] args)
    {
        Sweep("A", [0.2, 0.3]);
        Sweep("half", [], pending: 2);
        string[] output = args[0] == "report" ? ["--out", dir["out"]] : [];
        var r = CliRunner.Run(["sweep", .. args, .. output, "--store", Store]);
        Assert.Equal(1, r.Code);
        Assert.StartsWith(expected, r.Err);
    }

    [Fact]
    public void Unfinished_sweeps_compare_with_a_warning_and_empty_ones_report_without_crashing()
    {
        Sweep("A", [0.2, 0.3, 0.4]);
        Sweep("part", [0.1, 0.2], pending: 2);
        Sweep("none", [], pending: 2);
        var r = CliRunner.Run("sweep", "compare", "A", "part", "--store", Store);
        Assert.True(r.Code == 0, r.Err);
        Assert.StartsWith("warning: sweep part is unfinished: 2 pending and 0 running of 4; the EDF covers the 2 done so far\n", r.Out);
        var report = CliRunner.Run("sweep", "report", "none", "A", "--json", "--out", dir["r"], "--store", Store);
        Assert.True(report.Code == 0, report.Err);
        using var json = JsonDocument.Parse(report.Out);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("sweeps")[0].GetProperty("median_error").ValueKind);
        Assert.Equal(0, json.RootElement.GetProperty("comparisons").GetArrayLength()); // the reference has nothing to compare
    }
}
