using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Models;

/// <summary>The RegNet generator: per-stage depths, widths and group widths for pycls's and torchvision's rounding.</summary>
[Collection(DrawsDefaultRandomCollection.Name)] // materialises models: weights come from RandomGenerator.Default
public class RegNetTests
{
    public static TheoryData<string> Presets => ParameterCountTests.RegNetPresets;

    private static RegNetSpec Spec(string name) => Assert.IsType<RegNetSpec>(ModelZoo.Parse(name));

    private static List<(int, int, int)> Stages(RegNetSpec spec) =>
        [.. spec.Stages.Select(s => (s.Depth, s.Width, s.GroupWidth))];

    [Theory]
    [MemberData(nameof(Presets))]
    public void PyclsRoundingReproducesPyclsStages(string name) =>
        Assert.Equal(ModelFixtures.Stages(ModelFixtures.Net("pycls_regnet", name)), Stages(Spec(name)));

    [Theory]
    [MemberData(nameof(Presets))]
    public void TorchvisionRoundingReproducesTorchvisionStages(string name) =>
        Assert.Equal(ModelFixtures.Stages(ModelFixtures.Net("torchvision_regnet", name)), Stages(Spec(name + ":rounding=torchvision")));

    [Fact]
    public void TheLibrariesDisagreeWhereAWidthIsAnOddMultipleOfHalfTheGroupWidth()
    {
        // RegNetX-400MF's last stage quantises to 392 = 24.5 · 16: pycls rounds the half to even (384), torchvision up (400)
        Assert.Equal(392, RegNet.BlockWidths(Spec("regnetx-400mf").Params)[^1]);
        Assert.Equal(384, Spec("regnetx-400mf").Stages[^1].Width);
        Assert.Equal(400, Spec("regnet_x_400mf").Stages[^1].Width);
        // RegNetY-800MF: 136 = 8.5 · 16 and 776 = 48.5 · 16
        Assert.Equal([64, 128, 320, 768], Spec("regnety-800mf").Stages.Select(s => s.Width));
        Assert.Equal([64, 144, 320, 784], Spec("regnet_y_800mf").Stages.Select(s => s.Width));
    }

    [Fact]
    public void BuiltNetworkFollowsTheStages()
    {
        var spec = Spec("regnety-200mf");
        var m = Assert.IsType<RegNetModel>(spec.Build(new ModelOptions(3, 1000)));
        Assert.False(m.IsMaterialized);
        m.Build(1, 3, 64, 64);
        var trunk = m.Children.Single(c => c.Name == "trunk_output").Module;
        Assert.Equal(spec.Stages.Count, trunk.Children.Count);
        for (int i = 0; i < spec.Stages.Count; i++)
        {
            var (name, stage) = trunk.Children[i];
            Assert.Equal($"block{i + 1}", name);
            Assert.Equal(Enumerable.Range(0, spec.Stages[i].Depth).Select(j => $"block{i + 1}-{j}"), stage.Children.Select(c => c.Name));
            var conv = stage.NamedModules().Single(x => x.Name == $"block{i + 1}-0.f.b.0").Module;
            Assert.Equal(spec.Stages[i].Groups, Assert.IsType<Conv2d>(conv).Groups);
        }
        // SE width = round(0.25 · block input width): the first block of stage 1 sees the 32-channel stem
        var se = m.NamedModules().Single(x => x.Name == "trunk_output.block1.block1-0.f.se").Module;
        Assert.Equal(8, Assert.IsType<SqueezeExcitation>(se).SqueezeChannels);
    }

    [Fact]
    public void ResNetBlocksReplaceTheBottleneck()
    {
        var m = ModelZoo.Create("regnetx-200mf:block=resnet");
        m.Build(1, 3, 32, 32);
        Assert.Contains(m.StateDict(), e => e.Key == "trunk_output.block1.block1-0.f.b.0.weight" && e.Value.ShapeArray.SequenceEqual([24, 24, 3, 3]));
        Assert.DoesNotContain(m.StateDict(), e => e.Key.Contains(".f.c."));
    }

    [Fact]
    public void InvalidParametersAreRejectedAsPyclsAsserts()
    {
        Assert.Throws<ArgumentException>(() => RegNet.Stages(new RegNetParams(10, 20, 10, 2, 8)));  // w0 % 8 != 0
        Assert.Throws<ArgumentException>(() => RegNet.Stages(new RegNetParams(10, 24, -1, 2, 8)));  // wa < 0
        Assert.Throws<ArgumentException>(() => RegNet.Stages(new RegNetParams(10, 24, 10, 1, 8)));  // wm <= 1
    }
}

/// <summary>
/// The generator against torchvision's BlockParams.from_init_params and the pycls port over torchvision's 15 configurations
/// and 300 seeded random ones (bottleneck multipliers 0.25 to 2): every stage, for both roundings.
/// </summary>
public class RegNetGeneratorTests
{
    [Fact]
    public void EveryConfigurationMatchesBothLibraries()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "models", "regnet_generator.json");
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        var failures = new List<string>();
        int count = 0;
        foreach (var net in doc.RootElement.GetProperty("nets").EnumerateObject())
        {
            var a = net.Value.GetProperty("params");
            var p = new RegNetParams(a[0].GetInt32(), a[1].GetInt32(), a[2].GetDouble(), a[3].GetDouble(), a[4].GetInt32(), a[5].GetDouble());
            foreach (var (key, rounding) in new[] { ("pycls", RegNetRounding.Pycls), ("torchvision", RegNetRounding.Torchvision) })
            {
                var expected = string.Join(" ", net.Value.GetProperty(key).EnumerateArray().Select(s => $"{s[0]}x{s[1]}g{s[2]}"));
                var actual = string.Join(" ", RegNet.Stages(p, rounding).Select(s => $"{s.Depth}x{s.Width}g{s.GroupWidth}"));
                if (expected != actual) failures.Add($"{net.Name} {key}: expected {expected}, got {actual}");
            }
            count++;
        }
        Assert.Equal(315, count);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
