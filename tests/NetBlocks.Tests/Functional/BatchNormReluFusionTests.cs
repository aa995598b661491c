using NetBlocks.Functional;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using static NetBlocks.Tests.Support.GradCheck;

namespace NetBlocks.Tests.Functional;

/// <summary>
/// The fused BatchNorm2d + ReLU against the two ops one after the other (themselves checked against PyTorch in
/// TorchFixtureTests): the same output, gradients and running statistics, bit for bit.
/// </summary>
public class BatchNormReluFusionTests
{
    private sealed record Result(float[] Y, float[] Dx, float[] Dgamma, float[] Dbeta, float[] RunningMean, float[] RunningVar);

    private static Result Run(bool fused, bool training, int[] shape)
    {
        int c = shape[1];
        var x = Randn(1, shape);
        x.RequiresGrad = true;
        var gamma = Randn(2, c);
        gamma.RequiresGrad = true;
        var beta = Randn(3, c);
        beta.RequiresGrad = true;
        var runningMean = Randn(4, c);
        var runningVar = Tensor.FromArray(Enumerable.Range(0, c).Select(i => 0.5f + i).ToArray(), c);
        var y = fused
            ? F.BatchNorm2d(x, runningMean, runningVar, gamma, beta, training, relu: true)
            : F.Relu(F.BatchNorm2d(x, runningMean, runningVar, gamma, beta, training));
        var values = y.Span.ToArray();
        (y * Randn(5, shape)).Sum().Backward();
        return new Result(values, x.Grad!.Span.ToArray(), gamma.Grad!.Span.ToArray(), beta.Grad!.Span.ToArray(),
            runningMean.Span.ToArray(), runningVar.Span.ToArray());
    }

    [Theory]
    [InlineData(true, 4, 3, 5, 7)]   // planes of 35: vector body and scalar tail in every row
    [InlineData(true, 2, 5, 4, 4)]
    [InlineData(true, 3, 2, 1, 1)]   // one value per sample and channel
    [InlineData(false, 4, 3, 5, 7)]
    [InlineData(false, 2, 5, 4, 4)]
    public void FusedEqualsBatchNormThenRelu(bool training, int n, int c, int h, int w)
    {
        var shape = new[] { n, c, h, w };
        var unfused = Run(fused: false, training, shape);
        var fused = Run(fused: true, training, shape);
        Assert.Equal(unfused.Y, fused.Y);
        Assert.Contains(0f, fused.Y);                      // the ReLU does cut something
        Assert.Contains(fused.Y, v => v > 0);
        Assert.Equal(unfused.Dx, fused.Dx);
        Assert.Equal(unfused.Dgamma, fused.Dgamma);
        Assert.Equal(unfused.Dbeta, fused.Dbeta);
        Assert.Equal(unfused.RunningMean, fused.RunningMean);
        Assert.Equal(unfused.RunningVar, fused.RunningVar);
    }

    [Fact]
    public void FusedGradientsMatchFiniteDifferences() => Check(
        t => F.BatchNorm2d(t[0], null, null, t[1], t[2], training: true, relu: true),
        [Distinct([2, 3, 3, 3], gap: 0.1f), Randn(2, 3), Randn(3, 3)], eps: 1e-3);

    [Fact]
    public void SequentialFusesBatchNormAndReluWithTheSameResults()
    {
        Module Net() => new Sequential(new Conv2d(2, 4, 3, padding: 1), new BatchNorm2d(4), new ReLU());
        var a = Net();
        var b = Net();
        foreach (var ((_, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters())) pa.Span.CopyTo(pb.Span);
        var x = Randn(9, 3, 2, 6, 6);

        // a: the Sequential, which fuses; b: the same children called one by one
        var ya = a.Forward(x);
        var children = b.Children.Select(ch => ch.Module).ToArray();
        var yb = children[2].Forward(children[1].Forward(children[0].Forward(x)));
        Assert.Equal(yb.Span.ToArray(), ya.Span.ToArray());
        Assert.Equal("NativeBatchNormReluBackward", ya.GradFn!.Name);
        ya.Sum().Backward();
        yb.Sum().Backward();
        foreach (var ((name, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.True(pa.Grad!.Span.SequenceEqual(pb.Grad!.Span), $"gradient of {name} differs");
        foreach (var ((name, ba), (_, bb)) in a.NamedBuffers().Zip(b.NamedBuffers()))
            Assert.True(ba.Span.SequenceEqual(bb.Span), $"buffer {name} differs");
    }
}
