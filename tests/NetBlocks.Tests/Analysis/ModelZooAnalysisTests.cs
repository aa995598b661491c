using NetBlocks.Analysis;
using NetBlocks.Models;

namespace NetBlocks.Tests.Analysis;

/// <summary>The zoo's presets, analysed, against PyTorch's d2l and torchvision models (tools/make_analysis_fixtures.py).</summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public class ModelZooAnalysisTests
{
    // vgg11_224 is covered on the hand-built model (ModelAnalyzerFixtureTests, VggTotalsTests) and through the CLI
    public static TheoryData<string> Cases => new() { "vgg11_div4_224", "nin_224", "alexnet_224", "regnetx32_96", "regnet_x_400mf_224", "regnet_y_400mf_224" };

    /// <summary>torchvision's SqueezeExcitation also holds its ReLU and Sigmoid as modules; NetBlocks' calls them as functions.</summary>
    private static bool TorchOnly(string name) => name.EndsWith(".se.activation", StringComparison.Ordinal) || name.EndsWith(".se.scale_activation", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Cases))]
    public void PresetMatchesPyTorch(string fixtureCase)
    {
        var fx = AnalysisFixture.Load(fixtureCase);
        var module = ModelZoo.Create(fx.Model, new ModelOptions(InputChannels: fx.Input[1], Classes: fx.Output[1]));
        var a = ModelAnalyzer.Analyze(module, fx.Input, fx.Model);

        var expected = fx.Modules.Where(m => !TorchOnly(m.Name)).ToList();
        Assert.Equal(expected.Select(m => m.Name), a.Layers.Select(l => l.Name));
        foreach (var (e, l) in expected.Zip(a.Layers))
        {
            var where = $"{fixtureCase} {e.Name}";
            Assert.True(e.Type == l.Type, $"{where}: type {l.Type}, PyTorch {e.Type}");
            Assert.True(e.Input.SequenceEqual(l.Input ?? []), $"{where}: input {Fmt(l.Input)}, PyTorch {Fmt(e.Input)}");
            Assert.True(e.Output.SequenceEqual(l.Output ?? []), $"{where}: output {Fmt(l.Output)}, PyTorch {Fmt(e.Output)}");
            Assert.True(e.Params == l.Params && e.OwnParams == l.OwnParams, $"{where}: params {l.OwnParams}/{l.Params}, PyTorch {e.OwnParams}/{e.Params}");
            Assert.True(e.Macs == l.Macs, $"{where}: MACs {l.Macs}, PyTorch {e.Macs}");
        }
        Assert.Equal((fx.Params, fx.Buffers, fx.ConvParams, fx.FcParams), (a.Params, a.Buffers, a.ConvParams, a.FcParams));
        Assert.Equal((fx.Macs, fx.ConvMacs, fx.FcMacs, fx.Activations), (a.Macs, a.ConvMacs, a.FcMacs, a.Activations));
        Assert.Equal(fx.ProfilerFlops, a.Flops);
    }

    [Fact]
    public void SqueezeExcitationAndResidualActivationStandForTheirTensors()
    {
        var a = ModelAnalyzer.Analyze(ModelZoo.Create("regnet_y_400mf", new ModelOptions(3, 10)), [2, 3, 64, 64]);
        var block = "trunk_output.block1.block1-0";
        Assert.Equal([2, 48, 16, 16], a.Layers.Single(l => l.Name == $"{block}.activation").Output!);   // the sum, not the block input
        Assert.Equal([2, 48, 1, 1], a.Layers.Single(l => l.Name == $"{block}.f.se.avgpool").Output!);
    }

    private static string Fmt(int[]? s) => s is null ? "?" : "[" + string.Join(", ", s) + "]";
}
