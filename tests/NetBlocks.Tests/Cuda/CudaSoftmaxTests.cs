using NetBlocks.Cuda;
using NetBlocks.Functional;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// Log-softmax and mean cross-entropy (forward and gradient) on the CPU accelerator against the engine's CPU
/// <see cref="Softmax"/> kernel and <see cref="F.CrossEntropy"/> with autograd.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaSoftmaxTests(CudaFixture fixture)
{
    private readonly CudaContext _gpu = fixture.Context;

    [Fact]
    public void LogSoftmaxAndItsGradientMatchTheCpu()
    {
        const int rows = 5, cols = 7;
        var x = CudaAssert.Random(rows * cols, 60, scale: 4f);
        var dy = CudaAssert.Random(rows * cols, 61);
        var y = new float[x.Length]; var dx = new float[x.Length];
        Softmax.LogSoftmax(x, y, rows, cols);
        Softmax.LogSoftmaxBackward(y, dy, dx, rows, cols);

        using var dX = _gpu.Upload(x);
        using var dY = _gpu.Rent<float>(x.Length);
        using var dDy = _gpu.Upload(dy);
        using var dDx = _gpu.Rent<float>(x.Length);
        _gpu.Softmax.LogSoftmax(dX.View, dY.View, rows, cols);
        _gpu.Softmax.LogSoftmaxBackward(dY.View, dDy.View, dDx.View, rows, cols);
        CudaAssert.Close(y, dY.Download(), "log softmax");
        CudaAssert.Close(dx, dDx.Download(), "dx");
    }

    [Fact]
    public void CrossEntropyAndItsGradientMatchTheFunctionalOp()
    {
        const int n = 6, k = 10;
        var x = CudaAssert.Random(n * k, 62, scale: 3f);
        int[] labels = [3, 0, 9, 3, 7, 1];
        var logits = Tensor.FromArray((float[])x.Clone(), n, k);
        logits.RequiresGrad = true;
        var loss = F.CrossEntropy(logits, labels);
        loss.Backward();

        using var dX = _gpu.Upload(x);
        using var dLabels = _gpu.Upload(labels);
        using var dLogp = _gpu.Rent<float>(n * k);
        using var dLoss = _gpu.Rent<float>(1);
        using var dOne = _gpu.Upload(new[] { 1f });
        using var dDx = _gpu.Rent<float>(n * k);
        _gpu.Softmax.CrossEntropy(dX.View, dLabels.View, dLogp.View, dLoss.View, n, k);
        _gpu.Softmax.CrossEntropyBackward(dLogp.View, dLabels.View, dOne.View, dDx.View, n, k);
        CudaAssert.Close([loss.Span[0]], dLoss.Download(), "loss");
        CudaAssert.Close(logits.Grad!.Span, dDx.Download(), "dlogits");
    }

    [Fact]
    public void AnOutOfRangeLabelThatReachesTheKernelGivesANaNLoss()
    {
        using var dX = _gpu.Upload(new float[] { 1f, 2f, 3f, 4f });
        using var dLabels = _gpu.Upload(new[] { 1, 2 });
        using var dLogp = _gpu.Rent<float>(4);
        using var dLoss = _gpu.Rent<float>(1);
        _gpu.Softmax.CrossEntropy(dX.View, dLabels.View, dLogp.View, dLoss.View, 2, 2);
        Assert.True(float.IsNaN(dLoss.Download()[0]));
    }
}
