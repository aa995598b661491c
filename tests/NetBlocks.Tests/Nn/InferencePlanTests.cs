using NetBlocks.Autograd;
using NetBlocks.Models;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Nn;

/// <summary>
/// Issue #15: the inference plan folds every convolution that a pipeline runs right before a batch norm into one
/// convolution. Its outputs match the model run as declared within 1e-4 (relative to the output's scale), it folds every
/// such pair of the model families that have them and nothing where there are none (NiN), it leaves the state dict
/// alone, and it refuses a model or a forward that could train.
/// </summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public sealed class InferencePlanTests
{
    /// <summary>
    /// Batch-norm statistics and affine parameters far from their initial (1, 0, 0, 1), and convolution biases, so that
    /// the fold has something to fold: γ ∈ [0.5, 1.5), β, μ ~ 0.2·N(0, 1), σ² ∈ [0.5, 2).
    /// </summary>
    internal static Module Trained(string name, int[] shape, ulong seed = 7)
    {
        RandomGenerator.ManualSeed(seed);
        var model = ModelZoo.CreateBuilt(name, shape);
        var g = new RandomGenerator(seed);
        float[] Values(int n, Func<float> draw) => Enumerable.Range(0, n).Select(_ => draw()).ToArray();
        foreach (var (_, m) in model.NamedModules())
        {
            if (m is BatchNorm2d bn)
            {
                int c = bn.NumFeatures!.Value;
                bn.Weight!.CopyFrom(Values(c, () => 0.5f + g.NextFloat()));
                bn.Bias!.CopyFrom(Values(c, () => 0.2f * (float)g.NextNormal()));
                bn.RunningMean!.CopyFrom(Values(c, () => 0.2f * (float)g.NextNormal()));
                bn.RunningVar!.CopyFrom(Values(c, () => 0.5f + 1.5f * g.NextFloat()));
            }
            else if (m is Conv2d { Bias: { } b } conv)
                b.CopyFrom(Values(conv.OutChannels, () => 0.1f * (float)g.NextNormal()));
        }
        model.Eval();
        return model;
    }

    private static float[] Forward(Module model, Tensor x, InferencePlan? plan)
    {
        using var inForce = plan?.Enter();
        using var _ = GradMode.NoGrad();
        return model.Forward(x).ToArray();
    }

    [Theory]
    [InlineData("regnetx32", 32)]                                    // AnyNet of ResNeXt blocks, the stem's conv-bn-relu
    [InlineData("vgg-bn:1x8,2x16,fc=32", 32)]                         // VGG with batch norm (Sequential: conv, bn, relu)
    [InlineData("anynet:stem=8,1x16,2x24,block=resnet", 32)]          // AnyNet with d2l's ResNet blocks
    [InlineData("regnet:d=3,w0=8,wa=8,wm=2,g=8,se=0.25,stem=8", 32)]  // torchvision's layout: Conv2dNormActivation chains, SE
    public void FoldedOutputsMatchTheModelRunAsDeclared(string name, int resize)
    {
        int[] shape = [3, 1, resize, resize];
        var model = Trained(name, shape);
        var x = Tensor.Normal(shape, generator: new RandomGenerator(11));

        var declared = Forward(model, x, plan: null);
        var plan = InferencePlan.Create(model, shape);
        var folded = Forward(model, x, plan);

        int batchNorms = model.NamedModules().Count(m => m.Module is BatchNorm2d);
        Assert.True(batchNorms > 0);
        Assert.Equal(batchNorms, plan.Folds.Count); // every batch norm of these models follows a convolution
        double scale = Math.Max(1.0, declared.Max(v => Math.Abs(v)));
        for (int i = 0; i < declared.Length; i++)
            Assert.True(Math.Abs(folded[i] - declared[i]) <= 1e-4 * scale, $"output {i}: folded {folded[i]}, declared {declared[i]}");
        Assert.NotEqual(declared, folded); // the folded path ran: its rounding differs somewhere

        // outside the plan's scope the model runs as declared again, bit for bit
        Assert.Equal(declared, Forward(model, x, plan: null));
    }

    [Fact]
    public void FoldedForwardsGiveTheirBuffersBackToThePool()
    {
        // the folded step's ReLU returns a view of the convolution's output; dropping the output's own reference would
        // keep every such buffer from the pool (a fresh allocation per layer per forward, 6× slower)
        int[] shape = [2, 1, 32, 32];
        var model = Trained("regnetx32", shape);
        var plan = InferencePlan.Create(model, shape);
        var x = Tensor.Normal(shape, generator: new RandomGenerator(2));
        using var context = new ExecutionContext(1);
        using (context.Enter())
        {
            Forward(model, x, plan);
            long first = context.Pool.AllocatedBytes;
            for (int i = 0; i < 3; i++) Forward(model, x, plan);
            Assert.Equal(first, context.Pool.AllocatedBytes);
        }
    }

    [Fact]
    public void NinHasNoBatchNormAndItsPlanIsANoOp()
    {
        int[] shape = [2, 1, 96, 96];
        var model = Trained("nin/8", shape);
        var x = Tensor.Normal(shape, generator: new RandomGenerator(3));
        var plan = InferencePlan.Create(model, shape);
        Assert.Empty(plan.Folds);
        Assert.Equal(Forward(model, x, plan: null), Forward(model, x, plan));
    }

    [Fact]
    public void FoldedWeightsAreTorchFxsFormulaInDouble()
    {
        var conv = new Conv2d(2, 2, 1, bias: true);
        var bn = new BatchNorm2d(2);
        conv.Weight!.CopyFrom([1f, 2f, 3f, 4f]);
        conv.Bias!.CopyFrom([0.5f, -1f]);
        bn.Weight!.CopyFrom([2f, 0.5f]);
        bn.Bias!.CopyFrom([0.25f, 1f]);
        bn.RunningMean!.CopyFrom([1f, -2f]);
        bn.RunningVar!.CopyFrom([3f, 0.25f]);
        var f = FoldedConvolution.Fold(conv, bn);
        double s0 = 2 / Math.Sqrt(3 + (double)1e-5f), s1 = 0.5 / Math.Sqrt(0.25 + (double)1e-5f);
        Assert.Equal(new[] { (float)(1 * s0), (float)(2 * s0), (float)(3 * s1), (float)(4 * s1) }, f.Weight.ToArray());
        Assert.Equal(new[] { (float)((0.5 - 1) * s0 + 0.25), (float)((-1 + 2) * s1 + 1) }, f.Bias.ToArray());
    }

    [Fact]
    public void ThePlanLeavesTheStateDictByteIdentical()
    {
        int[] shape = [2, 1, 32, 32];
        var model = Trained("regnetx32", shape);
        var before = model.StateDict().Select(s => (s.Key, Bytes(s.Value))).ToList();
        var plan = InferencePlan.Create(model, shape);
        Forward(model, Tensor.Normal(shape, generator: new RandomGenerator(5)), plan);
        var after = model.StateDict().Select(s => (s.Key, Bytes(s.Value))).ToList();
        Assert.Equal(before.Select(b => b.Key), after.Select(a => a.Key));
        for (int i = 0; i < before.Count; i++) Assert.True(before[i].Item2.SequenceEqual(after[i].Item2), before[i].Key);
    }

    private static byte[] Bytes(Tensor t) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ToArray().AsSpan()).ToArray();

    [Fact]
    public void AModelInTrainingModeIsRefused()
    {
        int[] shape = [1, 1, 32, 32];
        var model = Trained("regnetx32", shape);
        model.Train();
        var e = Assert.Throws<InvalidOperationException>(() => InferencePlan.Create(model, shape));
        Assert.Equal("an inference plan folds batch norm with its running statistics, so it needs a model in eval mode: Sequential is in training mode (call Eval() first)", e.Message);

        // one layer left in training mode is enough
        model.Eval();
        model.NamedModules().First(m => m.Module is BatchNorm2d).Module.Train();
        var one = Assert.Throws<InvalidOperationException>(() => InferencePlan.Create(model, shape));
        Assert.Contains("0.1 (BatchNorm2d) is in training mode", one.Message);
    }

    [Fact]
    public void AFoldedStepRefusesToRecordAGraphOrToRunAfterTheModelWentBackToTraining()
    {
        int[] shape = [1, 1, 32, 32];
        var model = Trained("vgg-bn:1x8,fc=16", shape);
        var plan = InferencePlan.Create(model, shape);
        var x = Tensor.Normal(shape, generator: new RandomGenerator(1));
        using (plan.Enter())
        {
            var graph = Assert.Throws<InvalidOperationException>(() => model.Forward(x));
            Assert.Equal("the inference plan folds 0.0+0.1 into one convolution, which has no gradient for the model's parameters: run it under GradMode.NoGrad()", graph.Message);
            model.Train();
            using var _ = GradMode.NoGrad();
            var training = Assert.Throws<InvalidOperationException>(() => model.Forward(x));
            Assert.StartsWith("0.1 (BatchNorm2d) is in training mode, but the inference plan folded its running statistics into 0.0 (Conv2d)", training.Message);
        }
    }

    [Fact]
    public void ALazyModelIsRefused()
    {
        var model = ModelZoo.Create("regnetx32");
        model.Eval();
        var e = Assert.Throws<InvalidOperationException>(() => InferencePlan.Create(model, 1, 1, 32, 32));
        Assert.Contains("lazy layers that are not materialised yet", e.Message);
    }
}
