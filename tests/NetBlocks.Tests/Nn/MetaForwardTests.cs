using NetBlocks.Analysis;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Reporting;
using NetBlocks.Tensors;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Nn;

/// <summary>
/// Issue #11: the shape pass is an ordinary forward over a meta tensor, a model may be materialised on the meta device
/// (no weight arrays, no draws), and the BN+ReLU fusion is a plan a reader can see.
/// </summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public class MetaForwardTests
{
    [Fact]
    public void BuildIsAForwardOfAMetaTensorThatComputesNothing()
    {
        var bn = new BatchNorm2d();
        var net = new Sequential(Conv2d.Lazy(4, 3, padding: 1), bn, new ReLU(), new Flatten(), Linear.Lazy(5));
        var seen = new List<(string Path, bool InputMeta, bool OutputMeta, int[] Output)>();
        Module.ForwardObserver = (m, x, y) => seen.Add((m.Path, x.IsMeta, y.IsMeta, y.Shape.ToArray()));
        try { Assert.Equal([2, 5], net.Build(2, 3, 8, 8)); }
        finally { Module.ForwardObserver = null; }

        // every module's own forward ran (the fused BN+ReLU step runs module by module on meta tensors), all on meta tensors
        Assert.Equal(["0", "1", "2", "3", "4", ""], seen.Select(s => s.Path));
        Assert.All(seen, s => Assert.True(s.InputMeta && s.OutputMeta));
        Assert.Equal([2, 256], seen[3].Output);
        // training mode, yet no statistics were taken: a shape pass reads no values
        Assert.Equal(0f, bn.NumBatchesTracked!.Item());
        Assert.Equal(new float[4], bn.RunningMean!.ToArray());
        Assert.True(net.IsMaterialized);
        Assert.All(net.Parameters(), p => Assert.False(p.IsMeta));
    }

    [Fact]
    public void AMetaOutputLargerThanATensorIsAnErrorNamingTheLayer()
    {
        var net = new Sequential(new Conv2d(1, 16, 3, padding: 1));
        var e = Assert.Throws<ShapeException>(() => net.Forward(Tensor.Meta(1, 1, 32768, 32768)));
        Assert.Equal("0 (Conv2d): output (1, 16, 32768, 32768) has 17,179,869,184 elements, more than a tensor holds (2,147,483,591)", e.Message);
    }

    [Theory]
    [InlineData("regnetx32", 1, 32)]
    [InlineData("regnety-200mf", 3, 64)]
    [InlineData("vgg-bn:1x8,1x16,fc=32", 1, 32)]
    [InlineData("nin/8", 1, 96)]
    public void AModelSizedOnTheMetaDeviceHasMetaParametersAndTheSameAnalysis(string name, int channels, int size)
    {
        int[] input = [2, channels, size, size];
        var cpu = ModelZoo.CreateSized(name, input);
        var before = RandomGenerator.Default.GetState();
        Module meta;
        using (ParameterDevice.Use(Device.Meta)) meta = ModelZoo.CreateSized(name, input);
        Assert.Equal(before, RandomGenerator.Default.GetState());   // no weights drawn
        Assert.Equal(Device.Cpu, ParameterDevice.Current);          // the scope ended

        Assert.All(meta.StateDict(), kv => Assert.True(kv.Value.IsMeta, kv.Key));
        Assert.Equal(cpu.StateDict().Select(kv => (kv.Key, ShapeUtil.Format(kv.Value.Shape))),
            meta.StateDict().Select(kv => (kv.Key, ShapeUtil.Format(kv.Value.Shape))));
        Assert.Equal(cpu.ToString(), meta.ToString());
        var a = ModelAnalyzer.Analyze(cpu, input, name);
        var b = ModelAnalyzer.Analyze(meta, input, name);
        Assert.Equal(AnalysisReport.Summary(a, 9), AnalysisReport.Summary(b, 9));
        Assert.Equal(a.Memory, b.Memory);
    }

    [Fact]
    public void AMetaModelCannotBeLoadedOrComputeValues()
    {
        Module m;
        using (ParameterDevice.Use(Device.Meta)) { m = new Sequential(Linear.Lazy(3)); m.Build(2, 4); }
        var y = m.Forward(Tensor.Zeros(2, 4));
        Assert.True(y.IsMeta);
        var state = m.StateDict().ToDictionary(kv => kv.Key, kv => (kv.Value.Shape.ToArray(), new float[kv.Value.Numel]));
        Assert.StartsWith("a meta tensor has a shape and no elements", Assert.Throws<InvalidOperationException>(() => m.LoadStateDict(state)).Message);
    }

    [Fact]
    public void TheFusionPlanOfAChainIsMadeOnceAndReadable()
    {
        var seq = new Sequential(new Conv2d(1, 4, 3), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new ReLU(), new BatchNorm2d(4));
        Assert.Equal(["0", "1+2", "3", "4 (in place)", "5"], Pipeline.Sequence(seq.Children.Select(c => c.Module).ToList()).Plan);
        var block = new Pipeline().Then(seq[0]).BatchNormRelu((BatchNorm2d)seq[1]).Then(null).Then("flatten", t => t.Flatten(1));
        Assert.Equal(["0", "1+relu()", "flatten()"], block.Plan);
    }

    [Fact]
    public void APipelineGivesTheSameValuesAsItsStepsOneByOne()
    {
        RandomGenerator.ManualSeed(5);
        var seq = new Sequential(new Conv2d(2, 4, 3), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new ReLU());
        var x = Tensor.Uniform([2, 2, 9, 9], -1f, 1f);
        var fused = seq.Forward(x).ToArray();
        var h = x;
        foreach (var (_, child) in seq.Children) h = child.Forward(h);
        Assert.Equal(fused, h.ToArray());
        Assert.False(x.IsReleased);   // the chain's input is the caller's
    }
}
