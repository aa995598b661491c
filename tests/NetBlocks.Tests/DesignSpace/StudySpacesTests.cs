using NetBlocks.DesignSpace;
using NetBlocks.Models;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.DesignSpace;

/// <summary>
/// Seed 003's exercise spaces: each VioNet space breaks exactly one RegNet principle and keeps the other three (property
/// tests over many seeded draws); the MLP space; and the sampler's prefix property the study's multi-fidelity subset uses.
/// </summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public sealed class StudySpacesTests
{
    private const int Draws = 300;

    private static List<DesignSample> DrawMany(SpaceKind kind, int count, int seed, DesignSpaceOptions? options = null)
    {
        var o = options ?? new DesignSpaceOptions();
        var rng = new Random(seed);
        var list = new List<DesignSample>();
        for (int attempt = 0; list.Count < count && attempt < 200_000; attempt++)
            if (DesignSpaces.TryDraw(kind, o, rng) is { } s) list.Add(s);
        Assert.Equal(count, list.Count);
        return list;
    }

    private static bool NonDecreasing(IReadOnlyList<int> v) => v.Zip(v.Skip(1)).All(p => p.First <= p.Second);

    [Theory]
    [InlineData(SpaceKind.VioNetWidths)]
    [InlineData(SpaceKind.VioNetDepths)]
    [InlineData(SpaceKind.VioNetGroups)]
    [InlineData(SpaceKind.VioNetBottleneck)]
    public void Every_vionet_draw_breaks_its_principle_and_keeps_the_other_three(SpaceKind kind)
    {
        foreach (var sample in DrawMany(kind, Draws, seed: 11))
        {
            var spec = Assert.IsType<AnyNetSpec>(ModelZoo.Parse(sample.Spec));
            Assert.Equal(sample.Spec, spec.ToSpec());
            var ws = spec.Stages.Select(s => s.Width).ToList();
            var ds = spec.Stages.Select(s => s.Depth).ToList();
            var gs = spec.Stages.Select(s => s.GroupWidth).ToList();
            var bs = spec.Stages.Select(s => s.BottleneckMultiplier).ToList();
            Assert.Equal(kind != SpaceKind.VioNetWidths, NonDecreasing(ws));
            Assert.Equal(kind != SpaceKind.VioNetDepths, NonDecreasing(ds));
            Assert.Equal(kind != SpaceKind.VioNetGroups, gs.Distinct().Count() == 1);
            Assert.Equal(kind != SpaceKind.VioNetBottleneck, bs.Distinct().Count() == 1);

            // the stored parameters describe the spec (b as the sampler's ratio r = 1/multiplier)
            var p = sample.Parameters;
            Assert.Equal(spec.Stages.Count, (int)p["stages"]);
            for (int i = 0; i < spec.Stages.Count; i++)
            {
                Assert.Equal(ws[i], p[$"w{i + 1}"]);
                Assert.Equal(ds[i], p[$"d{i + 1}"]);
                Assert.Equal(gs[i], p[$"g{i + 1}"]);
                Assert.Equal(1 / bs[i], p[$"b{i + 1}"], 9);
            }
            Assert.Equal(kind != SpaceKind.VioNetGroups, p.ContainsKey("g"));
            Assert.Equal(kind != SpaceKind.VioNetBottleneck, p.ContainsKey("b"));

            // what is kept is RegNet's: the quantised linear rule's widths and depths (permuted for the width and depth spaces)
            var rule = RegNet.Stages(new RegNetParams((int)p["d"], (int)p["w0"], p["wa"], p["wm"],
                (int)p[kind == SpaceKind.VioNetGroups ? "g_rule" : "g"], kind == SpaceKind.VioNetBottleneck ? p["b_rule"] : 1.0 / p["b"]));
            bool permuted = kind is SpaceKind.VioNetWidths or SpaceKind.VioNetDepths;
            Assert.Equal(rule.Select(s => s.Width), permuted ? ws.Order() : ws);
            Assert.Equal(rule.Select(s => s.Depth), permuted ? ds.Order() : ds);
        }
    }

    [Fact]
    public void The_vionet_spaces_sample_inside_a_mac_band_and_their_costs_are_the_analysers()
    {
        var band = new ValueRange(200_000, 2_000_000);
        foreach (var kind in new[] { SpaceKind.VioNetWidths, SpaceKind.VioNetDepths, SpaceKind.VioNetGroups, SpaceKind.VioNetBottleneck, SpaceKind.Mlp })
        {
            var models = DesignSpaceSampler.Sample(new SamplingRequest(kind, 4, 5) { Macs = band });
            Assert.Equal(4, models.Select(m => m.Spec).Distinct().Count());
            Assert.All(models, m => Assert.InRange(m.Macs, 200_000, 2_000_000));
            Assert.All(models, m => Assert.Equal((m.Params, m.Macs), DesignSpaceSampler.Cost(m.Spec, 32)));
        }
    }

    [Theory]
    [InlineData("vionet-widths", SpaceKind.VioNetWidths)]
    [InlineData("VioNet_Depths", SpaceKind.VioNetDepths)]
    [InlineData("vionetgroups", SpaceKind.VioNetGroups)]
    [InlineData("vionet-bottleneck", SpaceKind.VioNetBottleneck)]
    [InlineData("mlp", SpaceKind.Mlp)]
    public void The_new_spaces_have_names_and_descriptions(string name, SpaceKind kind)
    {
        Assert.Equal(kind, DesignSpaces.Parse(name));
        Assert.Contains(DesignSpaces.Name(kind), DesignSpaces.Names);
        Assert.False(string.IsNullOrWhiteSpace(DesignSpaces.Describe(kind)));
    }

    [Theory]
    [InlineData(SpaceKind.VioNetWidths, "vionet-widths breaks a principle between stages, so it needs at least 2 stages: --stages allows at most 1")]
    [InlineData(SpaceKind.VioNetGroups, "vionet-groups draws a group width per stage and needs at least 2 to choose from, got 8")]
    [InlineData(SpaceKind.VioNetBottleneck, "vionet-bottleneck draws a bottleneck ratio per stage and needs at least 2 to choose from, got 1")]
    public void Options_that_leave_a_vionet_space_empty_are_refused_up_front(SpaceKind kind, string message)
    {
        var o = kind == SpaceKind.VioNetWidths ? new DesignSpaceOptions { MinStages = 1, MaxStages = 1 }
            : kind == SpaceKind.VioNetGroups ? new DesignSpaceOptions { GroupWidths = [8] } : new DesignSpaceOptions { BottleneckRatios = [1] };
        var e = Assert.Throws<ArgumentException>(() => DesignSpaceSampler.Sample(new SamplingRequest(kind, 2) { Options = o }));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Mlp_draws_cover_the_space_and_rebuild_from_their_spec()
    {
        var samples = DrawMany(SpaceKind.Mlp, Draws, seed: 3);
        foreach (var sample in samples)
        {
            var spec = Assert.IsType<MlpSpec>(ModelZoo.Parse(sample.Spec));
            Assert.Equal(sample.Spec, spec.ToSpec());
            var p = sample.Parameters;
            int depth = (int)p["depth"];
            Assert.InRange(depth, 1, 4);
            Assert.Equal(depth, spec.HiddenWidths.Count);
            Assert.Contains(p["m"], MlpSpace.Multipliers);
            Assert.Equal(p["act"] == 1 ? MlpActivation.Sigmoid : MlpActivation.Relu, spec.Activation);
            for (int i = 0; i < depth; i++)
            {
                Assert.Equal(spec.HiddenWidths[i], p[$"w{i + 1}"]);
                double baseWidth = spec.HiddenWidths[i] / p["m"];
                Assert.Equal(0, baseWidth % 8);
                Assert.InRange(baseWidth, 8, 128);
            }
        }
        Assert.Equal([1, 2, 3, 4], samples.Select(s => (int)s.Parameters["depth"]).Distinct().Order());
        Assert.Equal(MlpSpace.Multipliers.Order(), samples.Select(s => s.Parameters["m"]).Distinct().Order());
        Assert.Equal([0.0, 1.0], samples.Select(s => s.Parameters["act"]).Distinct().Order());
    }

    /// <summary>
    /// The study's multi-fidelity subset relies on this: a sweep of the first k models is the same spec for spec as the
    /// first k of a larger sweep with the same space, band and seed, so a 5× longer recipe can be run on them.
    /// </summary>
    [Theory]
    [InlineData(SpaceKind.RegNet)]
    [InlineData(SpaceKind.Mlp)]
    public void A_smaller_sample_is_a_prefix_of_a_larger_one_with_the_same_seed(SpaceKind kind)
    {
        SamplingRequest Request(int n) => new(kind, n, 9) { Macs = new ValueRange(100_000, 3_000_000) };
        var small = DesignSpaceSampler.Sample(Request(6)).Select(m => m.Spec);
        var large = DesignSpaceSampler.Sample(Request(15)).Select(m => m.Spec);
        Assert.Equal(small, large.Take(6));
    }
}
