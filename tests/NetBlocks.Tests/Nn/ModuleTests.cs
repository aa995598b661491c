using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Nn;

public class ModuleTests
{
    private static Sequential SmallVgg() => new(
        new Sequential(Conv2d.Lazy(16, 3, padding: 1), new ReLU(), new MaxPool2d(2, 2)),
        new Flatten(), Linear.Lazy(10));

    [Fact]
    public void LazyLayersMaterialiseInTheShapePass()
    {
        var m = SmallVgg();
        Assert.False(m.IsMaterialized);
        Assert.Equal([2, 10], m.Build(2, 1, 28, 28));
        Assert.True(m.IsMaterialized);
        Assert.Equal(16 * 9 + 16 + 16 * 14 * 14 * 10 + 10, m.ParameterCount);
        Assert.Equal(["0.0.weight", "0.0.bias", "2.weight", "2.bias"], m.StateDict().Select(s => s.Key));
        Assert.Equal([10, 3136], m.StateDict()[2].Value.Shape.ToArray());
    }

    [Fact]
    public void PrintsTheTreeLikePyTorch()
    {
        var m = SmallVgg();
        Assert.StartsWith("Sequential(\n  (0): Sequential(\n    (0): LazyConv2d(0, 16,", m.ToString());
        m.Build(1, 1, 28, 28);
        Assert.Equal(
            "Sequential(\n" +
            "  (0): Sequential(\n" +
            "    (0): Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n" +
            "    (1): ReLU()\n" +
            "    (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n" +
            "  )\n" +
            "  (1): Flatten(start_dim=1, end_dim=-1)\n" +
            "  (2): Linear(in_features=3136, out_features=10, bias=True)\n" +
            ")", m.ToString());
        Assert.Equal("BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", new BatchNorm2d(16).ToString());
        Assert.Equal("Dropout(p=0.5, inplace=False)", new Dropout(0.5f).ToString());
        Assert.Equal("AdaptiveAvgPool2d(output_size=(1, 1))", new AdaptiveAvgPool2d(1).ToString());
        Assert.Equal("Conv2d(8, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2, bias=False)",
            new Conv2d(8, 8, 3, 2, 1, groups: 2, bias: false).ToString());
    }

    [Fact]
    public void TrainAndEvalReachEveryChild()
    {
        var m = new Sequential(new Sequential(new Dropout()), new BatchNorm2d(3));
        m.Eval();
        Assert.All(m.NamedModules(), c => Assert.False(c.Module.Training));
        m.Train();
        Assert.All(m.NamedModules(), c => Assert.True(c.Module.Training));
    }

    [Fact]
    public void DropoutIsInvertedInTrainingAndIdentityInEval()
    {
        var d = new Dropout(0.5f);
        var x = Tensor.Ones(10000);
        var y = d.Forward(x).ToArray();
        Assert.All(y, v => Assert.True(v == 0f || v == 2f));
        Assert.InRange(y.Count(v => v == 0f), 4700, 5300);
        d.Eval();
        Assert.Same(x, d.Forward(x));
    }

    [Fact]
    public void BatchNormBuffersAndCountsFollowPyTorch()
    {
        var bn = new BatchNorm2d(3);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], bn.StateDict().Select(s => s.Key));
        Assert.Equal(6, bn.ParameterCount);
        bn.Forward(Tensor.Normal([4, 3, 2, 2], generator: new RandomGenerator(1)));
        Assert.Equal(1f, bn.NumBatchesTracked!.Item());
    }

    [Fact]
    public void ApplyVisitsEveryModuleForInitialisation()
    {
        var m = SmallVgg();
        m.Build(1, 1, 8, 8);
        RandomGenerator.ManualSeed(0);
        m.Apply(Init.InitCnn);
        var w = m.StateDict()[0].Value.ToArray();
        float bound = MathF.Sqrt(6f / (9 + 16 * 9));
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.True(w.Max() > 0.8f * bound);
    }

    [Fact]
    public void InitialisersHaveTheRightSpread()
    {
        var w = Tensor.ZerosPersistent(64, 32, 3, 3);
        Init.KaimingNormal(w, new RandomGenerator(3));
        var s = w.ToArray();
        double sd = Math.Sqrt(s.Average(v => (double)v * v));
        Assert.Equal(Math.Sqrt(2.0 / (32 * 9)), sd, 0.003);
        var lin = new Linear(100, 10);
        float bound = 1f / MathF.Sqrt(100);
        Assert.All(lin.Weight!.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(lin.Bias!.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.Equal((32 * 9, 64 * 9), Init.Fans(w));
    }

    [Fact]
    public void ResNeXtBlockKeysFollowD2l()
    {
        var b = new ResNeXtBlock(16, 4, 1, useProjection: true, stride: 2);
        b.Build(2, 8, 8, 8);
        var keys = b.StateDict().Select(s => s.Key).ToArray();
        Assert.Equal("conv1.weight", keys[0]);
        Assert.Contains("bn4.running_var", keys);
        Assert.Equal([16, 4, 3, 3], b.StateDict().First(s => s.Key == "conv2.weight").Value.Shape.ToArray());
    }
}
