using System.Collections.Concurrent;
using NetBlocks.Analysis;
using NetBlocks.Nn;

namespace NetBlocks.Tests.Analysis;

/// <summary>Every module's shapes, parameters and MACs, and the totals, against PyTorch forward hooks on the d2l models.</summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public class ModelAnalyzerFixtureTests
{
    // VGG-11/4 and AlexNet are checked through the zoo (ModelZooAnalysisTests): materialising them twice costs seconds
    public static TheoryData<string> Cases => new() { "vgg11_224", "nin_224", "regnetx32_96" };

    internal static Module Build(string fixtureCase) => fixtureCase switch
    {
        "vgg11_224" => D2lModels.Vgg11(),
        "vgg11_div4_224" => D2lModels.Vgg11(divisor: 4),
        "nin_224" => D2lModels.Nin(),
        "alexnet_224" => D2lModels.AlexNet(),
        "regnetx32_96" => D2lModels.RegNetX32(),
        _ => throw new ArgumentOutOfRangeException(nameof(fixtureCase)),
    };

    private static readonly ConcurrentDictionary<string, Lazy<ModelAnalysis>> Analyses = new();

    /// <summary>One analysis per case (materialising VGG-11's 129 M parameters takes a while), shared by the tests.</summary>
    internal static ModelAnalysis Analysis(string fixtureCase) => Analyses.GetOrAdd(fixtureCase, c => new Lazy<ModelAnalysis>(() =>
    {
        var fx = AnalysisFixture.Load(c);
        return ModelAnalyzer.Analyze(Build(c), fx.Input, fx.Model);
    })).Value;

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryModuleMatchesPyTorch(string fixtureCase)
    {
        var fx = AnalysisFixture.Load(fixtureCase);
        var a = Analysis(fixtureCase);

        Assert.Equal(fx.Modules.Select(m => m.Name), a.Layers.Select(l => l.Name));
        foreach (var (expected, actual) in fx.Modules.Zip(a.Layers))
        {
            var where = $"{fixtureCase} {expected.Name}";
            Assert.True(expected.Type == actual.Type, $"{where}: type {actual.Type}, PyTorch {expected.Type}");
            Assert.True(expected.Input.SequenceEqual(actual.Input!), $"{where}: input [{string.Join(", ", actual.Input!)}], PyTorch [{string.Join(", ", expected.Input)}]");
            Assert.True(expected.Output.SequenceEqual(actual.Output!), $"{where}: output [{string.Join(", ", actual.Output!)}], PyTorch [{string.Join(", ", expected.Output)}]");
            Assert.True(expected.OwnParams == actual.OwnParams, $"{where}: own params {actual.OwnParams}, PyTorch {expected.OwnParams}");
            Assert.True(expected.Params == actual.Params, $"{where}: params {actual.Params}, PyTorch {expected.Params}");
            Assert.True(expected.Macs == actual.Macs, $"{where}: MACs {actual.Macs}, PyTorch {expected.Macs}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TotalsMatchPyTorch(string fixtureCase)
    {
        var fx = AnalysisFixture.Load(fixtureCase);
        var a = Analysis(fixtureCase);

        Assert.Equal(fx.Output, a.Output);
        Assert.Equal(fx.Params, a.Params);
        Assert.Equal(fx.Params, a.TrainableParams);
        Assert.Equal(0, a.NonTrainableParams);
        Assert.Equal(fx.Buffers, a.Buffers);
        Assert.Equal(fx.ConvParams, a.ConvParams);
        Assert.Equal(fx.FcParams, a.FcParams);
        Assert.Equal(fx.Macs, a.Macs);
        Assert.Equal(fx.ConvMacs, a.ConvMacs);
        Assert.Equal(fx.FcMacs, a.FcMacs);
        Assert.Equal(fx.ProfilerFlops, a.Flops); // torch.profiler's own count of conv2d + addmm FLOPs
        Assert.Equal(fx.Activations, a.Activations);
    }
}
