using NetBlocks.DesignSpace;
using NetBlocks.DesignSpace.Statistics;
using NetBlocks.Models;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.DesignSpace;

/// <summary>The spaces' constraints, reproducible sampling inside a complexity band, and clear errors for impossible bands.</summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public sealed class SamplingTests
{
    private static IReadOnlyList<SampledModel> Sample(SpaceKind space, int n, ulong seed = 1, ValueRange? macs = null) =>
        DesignSpaceSampler.Sample(new SamplingRequest(space, n, seed) { Macs = macs ?? ValueRange.Any });

    [Theory]
    [InlineData(SpaceKind.AnyNetXA)]
    [InlineData(SpaceKind.AnyNetXB)]
    [InlineData(SpaceKind.AnyNetXC)]
    [InlineData(SpaceKind.AnyNetXD)]
    [InlineData(SpaceKind.AnyNetXE)]
    [InlineData(SpaceKind.RegNet)]
    public void Samples_obey_the_space_and_rebuild_from_their_spec(SpaceKind space)
    {
        var models = Sample(space, 12);
        Assert.Equal(12, models.Select(m => m.Spec).Distinct().Count());
        foreach (var m in models)
        {
            var spec = Assert.IsType<AnyNetSpec>(ModelZoo.Parse(m.Spec));
            Assert.Equal(m.Spec, spec.ToSpec());
            var p = m.Parameters;
            int stages = (int)p["stages"];
            Assert.InRange(stages, 2, 3);
            Assert.Equal(stages, spec.Stages.Count);
            var bs = Enumerable.Range(1, stages).Select(i => p[$"b{i}"]).ToList();
            var gs = Enumerable.Range(1, stages).Select(i => p[$"g{i}"]).ToList();
            var ws = spec.Stages.Select(s => s.Width).ToList();
            var ds = spec.Stages.Select(s => s.Depth).ToList();
            Assert.All(spec.Stages, s => Assert.Equal(0, s.BottleneckWidth % s.GroupWidth));
            if (space >= SpaceKind.AnyNetXB) Assert.Single(bs.Distinct());
            if (space is >= SpaceKind.AnyNetXC and < SpaceKind.RegNet) Assert.Single(gs.Distinct()); // RegNet clamps g to narrow stages (pycls)
            if (space >= SpaceKind.AnyNetXD) Assert.Equal(ws.Order(), ws);
            if (space >= SpaceKind.AnyNetXE && space != SpaceKind.RegNet) Assert.Equal(ds.Order(), ds);
            if (space == SpaceKind.RegNet)
            {
                var stagesFromRule = RegNet.Stages(new RegNetParams((int)p["d"], (int)p["w0"], p["wa"], p["wm"], (int)p["g"], 1.0 / p["b"]));
                Assert.Equal(stagesFromRule.Select(s => (s.Depth, s.Width)), spec.Stages.Select(s => (s.Depth, s.Width)));
            }
            else
            {
                Assert.All(ds, d => Assert.InRange(d, 1, 4));
                Assert.All(ws, w => { Assert.InRange(w, 8, 128); Assert.Equal(0, w % 8); });
            }
            Assert.Equal((m.Params, m.Macs), DesignSpaceSampler.Cost(m.Spec, 32));
        }
    }

    [Fact]
    public void The_same_seed_draws_the_same_models_and_another_seed_others()
    {
        var a = Sample(SpaceKind.AnyNetXA, 8, seed: 7).Select(m => m.Spec);
        var b = Sample(SpaceKind.AnyNetXA, 8, seed: 7).Select(m => m.Spec);
        var c = Sample(SpaceKind.AnyNetXA, 8, seed: 8).Select(m => m.Spec);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Only_models_inside_the_band_are_kept()
    {
        var band = new ValueRange(1e6, 3e6);
        Assert.All(Sample(SpaceKind.AnyNetXE, 10, macs: band), m => Assert.InRange(m.Macs, 1e6, 3e6));
        var pband = DesignSpaceSampler.Sample(new SamplingRequest(SpaceKind.RegNet, 5, 3) { Params = new ValueRange(0, 50_000) });
        Assert.All(pband, m => Assert.InRange(m.Params, 0, 50_000));
    }

    [Fact]
    public void An_impossible_band_fails_after_the_budget_and_says_how_wide_the_space_is()
    {
        var e = Assert.Throws<ArgumentException>(() => DesignSpaceSampler.Sample(
            new SamplingRequest(SpaceKind.AnyNetXA, 3) { Macs = ValueRange.Parse("10G..11G", "--macs"), Budget = 300 }));
        Assert.StartsWith("no model of anynetx-a fits 10G..11G MACs after 300 draws; widen --macs (models in this space range from ", e.Message);
        Assert.Contains(" MACs and ", e.Message);
    }

    [Theory]
    [InlineData("10M..11M", 10e6, 11e6)]
    [InlineData("..500k", 0, 500e3)]
    [InlineData("250k..2.5M", 250e3, 2.5e6)]
    public void Ranges_parse_with_suffixes_and_open_ends(string text, double min, double max)
    {
        var r = ValueRange.Parse(text, "--macs");
        Assert.Equal((min, max), (r.Min, r.Max));
        Assert.True(double.IsPositiveInfinity(ValueRange.Parse("2M..", "--macs").Max));
    }

    [Theory]
    [InlineData("5M", "is not a range LO..HI")]
    [InlineData("..", "is empty: give at least one bound")]
    [InlineData("11M..10M", "is empty: the lower bound 11M is above the upper bound 10M; swap them")]
    [InlineData("ten..20M", "'ten' is not a number")]
    public void Bad_ranges_say_what_to_write(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => ValueRange.Parse(text, "--macs"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unknown_spaces_list_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => DesignSpaces.Parse("anynetx-z"));
        Assert.Equal("unknown design space 'anynetx-z'; choose one of anynetx-a, anynetx-b, anynetx-c, anynetx-d, anynetx-e, regnet", e.Message);
        Assert.Equal(SpaceKind.AnyNetXE, DesignSpaces.Parse("AnyNetX_E"));
    }

    [Fact]
    public void Edf_bootstrap_and_width_fit_follow_their_definitions()
    {
        Assert.Equal([(0.1, 0.25), (0.2, 0.75), (0.4, 1.0)], new Edf([0.2, 0.4, 0.1, 0.2]).Steps);
        // The best models all have value 3; a 25% subsample (50 of 200) misses every one of them with probability 0.8^50.
        var points = Enumerable.Range(0, 200).Select(i => ((double)(i % 5), i % 5 == 3 ? 0.1 + i * 1e-4 : 0.5 + i * 1e-3)).ToList();
        var range = new BestRange([.. points.Select(p => p.Item2)], seed: 1).Of(i => points[i].Item1)!;
        Assert.Equal((3.0, 3.0, 3.0), (range.Low, range.Median, range.High));
        Assert.Equal(-1.0, SweepAnalysis.Spearman([(1, 0.9), (2, 0.5), (3, 0.4), (4, 0.1)]), 9);
        var fit = SweepAnalysis.FitWidths(new TrialRecord(0, "s", 0, "anynet:stem=16,1x16,1x32,1x48", new Dictionary<string, double>(), 0, 0,
            TrialStatus.Done, 1, null, 0.2, 1, [], null))!;
        Assert.Equal((16.0, 16.0, 0.0), (Math.Round(fit.W0, 9), Math.Round(fit.WA, 9), Math.Round(fit.FitError, 9)));
        Assert.Equal(Math.Sqrt(3), fit.WM, 9);
    }
}
