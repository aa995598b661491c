using NetBlocks.Functional;
using NetBlocks.Nn;
using NetBlocks.Tensors;
using static NetBlocks.Tests.Support.GradCheck;

namespace NetBlocks.Tests.Functional;

/// <summary>
/// ReLU written over its input's buffer (F.ReluConsuming, used by Sequential and the residual blocks) and its backward
/// written over the incoming gradient: only when nothing else holds or reads the buffer, and always with the values and
/// gradients of the out-of-place op.
/// </summary>
public class ReluInPlaceTests
{
    private static (Tensor X, Tensor W, Tensor B) Inputs()
    {
        var x = Randn(1, 2, 3, 6, 6);
        var w = Randn(2, 4, 3, 3, 3);
        w.RequiresGrad = true;
        var b = Randn(3, 4);
        b.RequiresGrad = true;
        return (x, w, b);
    }

    private static (float[] Y, float[] Dw, float[] Db) Reference()
    {
        var (x, w, b) = Inputs();
        var y = F.Relu(F.Conv2d(x, w, b, padding: 1));
        var values = y.ToArray();
        (y * Randn(4, 2, 4, 6, 6)).Sum().Backward();
        return (values, w.Grad!.ToArray(), b.Grad!.ToArray());
    }

    [Fact]
    public void OverwritesAnIntermediateNothingElseReadsWithTheSameResults()
    {
        var expected = Reference();
        var (x, w, b) = Inputs();
        var conv = F.Conv2d(x, w, b, padding: 1);
        var buffer = conv.RawData;
        var y = F.ReluConsuming(conv);
        Assert.Same(buffer, y.RawData);
        Assert.Equal(expected.Y, y.ToArray());
        (y * Randn(4, 2, 4, 6, 6)).Sum().Backward();
        Assert.Equal(expected.Dw, w.Grad!.ToArray());
        Assert.Equal(expected.Db, b.Grad!.ToArray());
    }

    [Fact]
    public void KeepsAnIntermediateThatAnotherBackwardReads()
    {
        var (x, w, b) = Inputs();
        var conv = F.Conv2d(x, w, b, padding: 1);
        var scale = Randn(5, 2, 4, 6, 6);
        scale.RequiresGrad = true;
        var product = conv * scale;                 // Mul's backward reads conv for d(scale)
        var before = conv.ToArray();
        var y = F.ReluConsuming(conv);
        Assert.NotSame(conv.RawData, y.RawData);
        Assert.Equal(before, conv.ToArray());
        (y.Sum() + product.Sum()).Backward();
        Assert.Equal(before, scale.Grad!.ToArray()); // d(Σ conv·scale)/d scale = conv, unchanged by the ReLU
    }

    [Fact]
    public void NeverOverwritesALeafOrAViewSharedWithAnotherTensor()
    {
        var leaf = Randn(1, 2, 8);
        leaf.RequiresGrad = true;
        var y = F.ReluConsuming(leaf);
        Assert.NotSame(leaf.RawData, y.RawData);

        var t = F.Conv2d(Randn(1, 1, 1, 4, 4), Randn(2, 1, 1, 3, 3), padding: 1);
        var view = t.ViewAs([16]);                   // a second tensor on the same buffer
        var before = view.ToArray();
        var z = F.ReluConsuming(t);
        Assert.NotSame(t.RawData, z.RawData);
        Assert.Equal(before, view.ToArray());
    }

    [Fact]
    public void BackwardWithAGradientSharedByTwoBranchesStaysCorrect()
    {
        // z = relu(t) feeds both sides of an add, so the gradient reaching the ReLU was summed from two branches, and
        // the add hands the same gradient to both of them.
        var t = Distinct([2, 3, 4]);
        t.RequiresGrad = true;
        var h = t * 1f;
        var z = F.ReluConsuming(h);
        var sum = z + z;
        var up = h * 1f;
        var u = F.ReluConsuming(up) + F.ReluConsuming(up * 2f);
        (sum.Sum() + u.Sum()).Backward();
        var expected = t.ToArray().Select(v => v > 0 ? 2f + 3f : 0f).ToArray();
        Assert.Equal(expected, t.Grad!.ToArray());
    }

    [Fact]
    public void SequentialReluRunsInPlaceWithTheSameResults()
    {
        static Module Net() => new Sequential(new Conv2d(2, 4, 3, padding: 1), new ReLU(), new Conv2d(4, 3, 1), new ReLU());
        var a = Net();
        var b = Net();
        foreach (var ((_, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters())) pa.Span.CopyTo(pb.Span);
        var x = Randn(9, 2, 2, 5, 5);
        var ya = a.Forward(x);
        var layers = b.Children.Select(c => c.Module).ToArray();
        var yb = F.Relu(layers[2].Forward(F.Relu(layers[0].Forward(x))));
        Assert.Equal(yb.ToArray(), ya.ToArray());
        ya.Sum().Backward();
        yb.Sum().Backward();
        foreach (var ((name, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.True(pa.Grad!.Span.SequenceEqual(pb.Grad!.Span), $"gradient of {name} differs");
    }
}
