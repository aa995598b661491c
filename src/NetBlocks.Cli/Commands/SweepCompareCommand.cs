using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetBlocks.DesignSpace;
using NetBlocks.DesignSpace.Statistics;

namespace NetBlocks.Cli.Commands;

/// <summary>
/// `netblocks sweep compare A B`: the KS test of two sweeps' error EDFs, in words. Also holds the analysis options that
/// `sweep report` shares (--bins) and the loading of several sweeps for one analysis.
/// </summary>
internal static class SweepCompareCommand
{
    public static Option<int> BinsOption() => new("--bins")
    {
        Description = "k, equal-width complexity bins of the normalized EDFs (each model weighs 1/(k·n_j))", DefaultValueFactory = _ => new AnalysisOptions().Bins, HelpName = "K",
    };

    /// <summary>The named sweeps, summarised together (their normalized EDFs share bins).</summary>
    public static IReadOnlyList<SweepSummary> Summaries(ITrialStore store, IReadOnlyList<string> names, AnalysisOptions options) =>
        SweepAnalysis.SummarizeAll([.. names.Select(n => (Sweeps.Get(store, n), store.Trials(n)))], options);

    public static Command Create()
    {
        var a = new Argument<string>("A") { Description = "the reference sweep" };
        var b = new Argument<string>("B") { Description = "the sweep compared with it" };
        var json = new Option<bool>("--json") { Description = "print the comparison as JSON (ks, p, n_a, n_b, samples_needed, verdict, …)" };
        var bins = BinsOption();
        var store = SweepCommand.StoreOption();
        var cmd = new Command("compare", "Is B's error distribution different from A's? The KS statistic, its p-value and the verdict in words")
        {
            a, b, json, bins, store,
        };
        cmd.SetAction(parse => CliGuard.Run(() =>
        {
            var o = parse.InvocationConfiguration.Output;
            // Nothing printed here is resampled (KS, its p-value, the normalized distances), so there is no --seed.
            var options = new AnalysisOptions { Bins = parse.GetValue(bins) };
            options.Validate();
            using var s = TrialStores.Open(parse.GetValue(store), mustExist: true);
            var summaries = Summaries(s, [parse.GetValue(a)!, parse.GetValue(b)!], options);
            var comparison = SweepComparison.Of(summaries[0], summaries[1]);
            var warnings = summaries.SelectMany(SweepFormatter.Warnings).ToList();
            if (parse.GetValue(json))
            {
                var headlines = SweepHeadline.Of(summaries);
                var root = new JsonObject
                {
                    ["analysis"] = SweepFormatter.Analysis(options),
                    ["sweeps"] = new JsonArray([.. summaries.Select((x, i) => (JsonNode)new JsonObject
                    {
                        ["name"] = x.Name, ["space"] = x.Space, ["n"] = x.N, ["done"] = x.Done, ["complete"] = x.Complete,
                        ["min_error"] = headlines[i].MinError, ["median_error"] = headlines[i].MedianError,
                    })]),
                    ["comparison"] = SweepFormatter.Comparison(comparison),
                };
                o.Write(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
                foreach (var w in warnings) parse.InvocationConfiguration.Error.WriteLine("warning: " + w);
                return 0;
            }
            foreach (var w in warnings) o.WriteLine("warning: " + w);
            var hl = SweepHeadline.Of(summaries);
            for (int i = 0; i < 2; i++)
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{summaries[i].Name} ({summaries[i].Space}): {summaries[i].Done} done, min error {hl[i].MinError:0.####}, median {hl[i].MedianError:0.####}"));
            o.WriteLine(comparison.Verdict);
            if (comparison.NormalizedD.Count > 0)
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"normalized by complexity ({options.Bins} bins): ") +
                            string.Join(", ", comparison.NormalizedD.Select(d => string.Create(CultureInfo.InvariantCulture, $"KS {d.D:0.###} by {ComplexityBins.Name(d.Measure)}"))));
            return 0;
        }));
        return cmd;
    }
}
