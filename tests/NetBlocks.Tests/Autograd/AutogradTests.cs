using NetBlocks.Autograd;
using NetBlocks.Functional;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Autograd;

public class AutogradTests
{
    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Tensor.FromArray([1f, 2f, 3f], 3);
        x.RequiresGrad = true;
        (x * 2f).Sum().Backward();
        (x * 3f).Sum().Backward();
        Assert.Equal([5f, 5f, 5f], x.Grad!.ToArray());
    }

    [Fact]
    public void ProductRuleThroughASharedInput()
    {
        var x = Tensor.FromArray([1f, -2f, 3f], 3);
        x.RequiresGrad = true;
        F.Sum(x * x * x).Backward(); // d/dx x³ = 3x²
        Assert.Equal([3f, 12f, 27f], x.Grad!.ToArray());
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Tensor.Ones(2, 2);
        x.RequiresGrad = true;
        Tensor y;
        using (GradMode.NoGrad()) y = x * 2f;
        Assert.Null(y.GradFn);
        Assert.False(y.RequiresGrad);
        Assert.True(GradMode.IsEnabled);
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("does not require grad", e.Message);
    }

    [Fact]
    public void BackwardReleasesIntermediatesButKeepsLeavesRootAndDetachedCopies()
    {
        var x = Tensor.FromArray([1f, -1f, 2f], 3);
        x.RequiresGrad = true;
        var hidden = F.Relu(x * 2f);
        var kept = hidden.Detach();
        var loss = hidden.Sum();
        loss.Backward();
        Assert.True(hidden.IsReleased);
        Assert.Null(loss.GradFn);
        Assert.Equal(6f, loss.Item());
        Assert.Equal([2f, 0f, 4f], kept.ToArray());
        Assert.Equal([1f, -1f, 2f], x.ToArray());
        var e = Assert.Throws<InvalidOperationException>(() => hidden.ToArray());
        Assert.Contains("released when Backward() finished", e.Message);
        Assert.Contains("Detach()", e.Message);
    }

    [Fact]
    public void BackwardOfANonScalarNeedsAGradient()
    {
        var x = Tensor.Ones(2, 3);
        x.RequiresGrad = true;
        var y = x * 2f;
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("needs a scalar, got shape (2, 3)", e.Message);
        y.Backward(Tensor.Full([2, 3], 0.5f));
        Assert.All(x.Grad!.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void OnlyInputsThatRequireGradReceiveOne()
    {
        var a = Tensor.Ones(3); a.RequiresGrad = true;
        var b = Tensor.Full([3], 4f);
        (a * b).Sum().Backward();
        Assert.Equal([4f, 4f, 4f], a.Grad!.ToArray());
        Assert.Null(b.Grad);
    }

    [Fact]
    public void GradFnNamesFollowPyTorch()
    {
        var x = Tensor.Ones(1, 1, 4, 4); x.RequiresGrad = true;
        var w = Tensor.Ones(1, 1, 3, 3);
        Assert.Equal("ConvolutionBackward0", F.Conv2d(x, w).GradFn!.Name);
        Assert.Equal("ReluBackward0", F.Relu(x).GradFn!.Name);
        Assert.Contains("grad_fn=<MaxPool2DWithIndicesBackward0>", F.MaxPool2d(x, 2).ToString());
    }
}
