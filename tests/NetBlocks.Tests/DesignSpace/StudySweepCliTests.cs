using System.Text.Json;
using NetBlocks.DesignSpace;
using NetBlocks.Tests.Analysis;
using NetBlocks.Tests.Cli;
using NetBlocks.Tests.Data;

namespace NetBlocks.Tests.DesignSpace;

/// <summary>
/// The study's building blocks through the real CLI and store (bench/design_study.sh relies on them): an MLP sweep trains
/// and reports like any other, `sweep report --json` lists every finished trial, and a longer recipe on the first k models
/// of a sweep is a `sweep create` with the same space, band and seed and fewer --samples.
/// </summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public sealed class StudySweepCliTests : IDisposable
{
    private readonly TempDir dir = new();
    private string Store => dir["sweeps.db"];

    public void Dispose() => dir.Dispose();

    private static List<(int Trial, string Spec, double Error)> Trials(JsonElement sweep) =>
        [.. sweep.GetProperty("trials").EnumerateArray().Select(t => (t.GetProperty("trial").GetInt32(), t.GetProperty("spec").GetString()!, t.GetProperty("error").GetDouble()))];

    [Fact]
    public void An_mlp_sweep_trains_and_reports_and_a_longer_recipe_reruns_its_first_models()
    {
        var data = TinyFashionMnist.Create(dir["data"], train: 96, test: 48);
        string[] common = ["--space", "mlp", "--resize", "16", "--limit-train", "0", "--limit-val", "0", "--batch", "32",
            "--widths", "8..16", "--max-depth", "2", "--seed", "4", "--store", Store];
        var create = CliRunner.Run(["sweep", "create", "mlp-cheap", "--samples", "3", "--epochs", "1", .. common]);
        Assert.True(create.Code == 0, create.Err);
        Assert.Contains("sweep mlp-cheap: 3 models of mlp recorded in", create.Out);
        var longer = CliRunner.Run(["sweep", "create", "mlp-long", "--samples", "2", "--epochs", "2", .. common]);
        Assert.True(longer.Code == 0, longer.Err);

        foreach (var name in new[] { "mlp-cheap", "mlp-long" })
        {
            var run = CliRunner.Run("sweep", "run", name, "--data", data, "--no-verify", "--store", Store);
            Assert.True(run.Code == 0, run.Err);
        }

        var report = CliRunner.Run("sweep", "report", "mlp-cheap", "mlp-long", "--out", dir["report"], "--json", "--store", Store);
        Assert.True(report.Code == 0, report.Err);
        using var json = JsonDocument.Parse(report.Out);
        var sweeps = json.RootElement.GetProperty("sweeps");
        Assert.Equal("mlp", sweeps[0].GetProperty("space").GetString());
        var cheap = Trials(sweeps[0]);
        var longRun = Trials(sweeps[1]);
        Assert.Equal([0, 1, 2], cheap.Select(t => t.Trial));
        Assert.All(cheap, t => Assert.StartsWith("mlp:", t.Spec));
        Assert.Equal(cheap.Take(2).Select(t => t.Spec), longRun.Select(t => t.Spec));

        // every listed error is the store's, and the longer recipe really trained twice as many epochs
        using var store = new SqliteTrialStore(Store);
        Assert.Equal(store.Trials("mlp-cheap").OrderBy(t => t.Index).Select(t => Math.Round(t.Error!.Value, 6)), cheap.Select(t => t.Error));
        Assert.All(store.Trials("mlp-long"), t => Assert.Equal(2, t.Curve.Count));
        var parameters = sweeps[0].GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Contains("depth", parameters);
        Assert.Contains("act", parameters);
        Assert.Contains("m", parameters);
    }

    [Fact]
    public void A_vionet_sweep_with_one_stage_is_refused_with_what_to_change()
    {
        var r = CliRunner.Run("sweep", "create", "v", "--space", "vionet-depths", "--samples", "2", "--stages", "1", "--store", Store);
        Assert.Equal(1, r.Code);
        Assert.Equal("error: vionet-depths breaks a principle between stages, so it needs at least 2 stages: --stages allows at most 1\n", r.Err);
    }
}
