using BindingFlags = System.Reflection.BindingFlags;
using NetBlocks.Autograd;
using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using NetBlocks.Tests.Analysis;

namespace NetBlocks.Tests.Nn;

/// <summary>
/// Issue #15, the plan's convolutions: every convolution the model runs is prepared once (weights packed for its kernel),
/// and the ReLU after a convolution (or after its folded batch norm) runs in the convolution's store. Models without
/// batch norm (NiN, VGG) give bit for bit the outputs of the model run as declared, at the plan's batch and at others;
/// each prepared step of a folded model (regnetx32) gives the bits of F.Conv2d on its folded weights followed by F.Relu;
/// weights replaced, reloaded or trained after the plan was made are refused.
/// </summary>
[Collection(DrawsDefaultRandomCollection.Name)]
public sealed class PreparedConvolutionTests
{
    private static float[] Forward(Module model, Tensor x, InferencePlan? plan)
    {
        using var inForce = plan?.Enter();
        using var _ = GradMode.NoGrad();
        return model.Forward(x).ToArray();
    }

    /// <summary>How many convolutions a pipeline runs right before a ReLU module (the ReLUs the plan fuses in NiN and VGG).</summary>
    private static int ConvolutionsBeforeARelu(Module model) =>
        model.NamedModules().Select(m => m.Module).OfType<Sequential>()
            .Sum(s => s.Children.Zip(s.Children.Skip(1)).Count(p => p.First.Module is Conv2d && p.Second.Module is ReLU));

    [Theory]
    [InlineData("nin/8", 96, false)]              // conv + ReLU + 1×1 conv + ReLU …: the 11×11/4 stem on im2col, 5×5 and 3×3 direct
    [InlineData("vgg11/4", 32, false)]            // 3×3 conv + ReLU on the direct kernel
    [InlineData("vgg:1x32,1x32,fc=32", 48, true)] // 32→32 at 24×24: direct at batch 1 (one Winograd work item), Winograd at batch 3
    public void WithoutBatchNormThePlanGivesTheDeclaredModelsBitsAtEveryBatch(string name, int resize, bool winogradAtBatch3)
    {
        var model = InferencePlanTests.Trained(name, [1, 1, resize, resize]);
        using var context = new ExecutionContext(2);
        using (context.Enter())
        {
            var plan = InferencePlan.Create(model, 1, 1, resize, resize); // at batch 1, as `eval` makes it
            Assert.Empty(plan.Folds);
            Assert.Equal(model.NamedModules().Count(m => m.Module is Conv2d), plan.Convolutions.Count);
            Assert.Equal(ConvolutionsBeforeARelu(model), plan.FusedRelus);
            Assert.True(plan.FusedRelus > 0);
            foreach (int batch in new[] { 1, 3 }) // batch 3 > 2 threads: other kernel choices than the plan's batch 1
            {
                var x = Tensor.Normal([batch, 1, resize, resize], generator: new RandomGenerator((ulong)batch));
                var declared = Forward(model, x, plan: null);
                Assert.Equal(declared, Forward(model, x, plan));
                Assert.Equal(declared, Forward(model, x, plan)); // and again, from the forms made on first use
            }
            if (DirectConvolution.IsSupported) Assert.True(plan.PackedConvolutions > 0); // at batch 3 at least
            if (Convolution.WinogradPays(new Winograd.Shape(1, 32, 24, 24, 32, 1), 1)) // AVX-512: the rule can take it
                Assert.Equal(winogradAtBatch3, plan.Convolutions.Any(c => c.Packed!.HasWinograd));
        }
    }

    [Fact]
    public void EachPreparedStepOfAFoldedModelGivesTheBitsOfItsConvolutionThenRelu()
    {
        int[] shape = [2, 1, 32, 32];
        var model = InferencePlanTests.Trained("regnetx32", shape);
        using var context = new ExecutionContext(2);
        using (context.Enter())
        {
            var plan = InferencePlan.Create(model, shape);
            Assert.Equal(plan.Convolutions.Count, plan.Folds.Count); // every convolution of regnetx32 is followed by batch norm
            Assert.True(plan.FusedRelus > 0);
            int seed = 0;
            foreach (var p in plan.Convolutions)
            {
                var conv = p.Convolution;
                var x = Tensor.Normal([.. p.InputShape], generator: new RandomGenerator((ulong)++seed));
                using var _ = GradMode.NoGrad();
                var y = F.Conv2d(x, p.Weight, p.Bias, conv.Stride, conv.Padding, conv.Groups);
                Assert.Equal(y.ToArray(), p.Forward(x, relu: false).ToArray());
                Assert.Equal(F.Relu(y).ToArray(), p.Forward(x, relu: true).ToArray());
            }
        }
    }

    [Fact]
    public void AReplacedWeightTensorIsRefused()
    {
        int[] shape = [1, 1, 32, 32];
        var model = InferencePlanTests.Trained("vgg:1x16,fc=16", shape);
        var plan = InferencePlan.Create(model, shape);
        var x = Tensor.Normal(shape, generator: new RandomGenerator(4));
        var conv = model.NamedModules().Select(m => m.Module).OfType<Conv2d>().First();
        // no public API replaces a parameter today; a subclass (or a future one) could: the plan must not run stale weights
        var replacement = Tensor.ZerosPersistent(Device.Cpu, conv.Weight!.ShapeArray);
        typeof(Module).GetMethod("RegisterParameter", BindingFlags.NonPublic | BindingFlags.Instance)!.Invoke(conv, ["weight", replacement]);
        var e = Assert.Throws<InvalidOperationException>(() => Forward(model, x, plan));
        Assert.Equal($"{conv.Describe()}: a parameter or buffer tensor was replaced after the inference plan prepared its weights: make a new plan (InferencePlan.Create)", e.Message);
        Assert.Equal(Forward(model, x, plan: null), Forward(model, x, InferencePlan.Create(model, shape)));
    }

    [Fact]
    public void WeightsLoadedOrTrainedAfterThePlanAreRefused()
    {
        int[] shape = [1, 1, 32, 32];
        var model = InferencePlanTests.Trained("vgg:1x16,fc=16", shape);
        var other = InferencePlanTests.Trained("vgg:1x16,fc=16", shape, seed: 8);
        var x = Tensor.Normal(shape, generator: new RandomGenerator(6));
        var conv = model.NamedModules().Select(m => m.Module).OfType<Conv2d>().First();

        var plan = InferencePlan.Create(model, shape);
        model.LoadStateDict(other.StateDict().ToDictionary(s => s.Key, s => (s.Value.ShapeArray, s.Value.ToArray())));
        var loaded = Assert.Throws<InvalidOperationException>(() => Forward(model, x, plan));
        Assert.Equal($"{conv.Describe()}: a state dict was loaded or training mode entered after the inference plan prepared its weights, so they may have changed: make a new plan (InferencePlan.Create)", loaded.Message);
        var fresh = InferencePlan.Create(model, shape);
        Assert.Equal(Forward(other, x, plan: null), Forward(model, x, fresh));

        model.Train();
        model.Eval();
        var trained = Assert.Throws<InvalidOperationException>(() => Forward(model, x, fresh));
        Assert.StartsWith($"{conv.Describe()}: a state dict was loaded or training mode entered", trained.Message);
    }

    [Fact]
    public void AFoldedModelsBatchNormReloadedAfterThePlanIsRefused()
    {
        int[] shape = [1, 1, 32, 32];
        var model = InferencePlanTests.Trained("vgg-bn:1x8,fc=16", shape);
        var plan = InferencePlan.Create(model, shape);
        var bn = model.NamedModules().Select(m => m.Module).OfType<BatchNorm2d>().First();
        bn.LoadStateDict(bn.StateDict().ToDictionary(s => s.Key, s => (s.Value.ShapeArray, s.Value.ToArray())));
        var e = Assert.Throws<InvalidOperationException>(() => Forward(model, Tensor.Normal(shape, generator: new RandomGenerator(1)), plan));
        Assert.Equal($"{bn.Describe()}: a state dict was loaded or training mode entered after the inference plan prepared its running statistics and affine parameters, so they may have changed: make a new plan (InferencePlan.Create)", e.Message);
    }

    [Fact]
    public void AnUnfoldedConvolutionRecordingAGraphRunsAsDeclared()
    {
        // its weights are the parameters themselves: under the plan with gradients on, it runs F.Conv2d and the ReLU as
        // declared, so the gradients are the parameters' own
        int[] shape = [2, 1, 32, 32];
        var model = InferencePlanTests.Trained("vgg:1x16,fc=16", shape);
        var plan = InferencePlan.Create(model, shape);
        var x = Tensor.Normal(shape, generator: new RandomGenerator(3));
        var conv = model.NamedModules().Select(m => m.Module).OfType<Conv2d>().First();

        float[] Gradient(InferencePlan? p)
        {
            model.ZeroGrad();
            using var inForce = p?.Enter();
            var loss = F.CrossEntropy(model.Forward(x), [1, 7]);
            loss.Backward();
            return conv.Weight!.Grad!.ToArray();
        }
        Assert.Equal(Gradient(null), Gradient(plan));
    }
}
