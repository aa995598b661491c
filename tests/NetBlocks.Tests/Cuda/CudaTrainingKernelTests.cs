using NetBlocks.Cuda;
using NetBlocks.Optim;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Cuda;

/// <summary>Dropout's counter-based mask and the SGD step on the CPU accelerator.</summary>
[Collection(CudaCollection.Name)]
public class CudaTrainingKernelTests(CudaFixture fixture)
{
    private readonly CudaContext _gpu = fixture.Context;

    [Fact]
    public void DropoutMaskIsTheCounterStreamsAndRepeats()
    {
        const int length = 4000;
        const float p = 0.3f;
        const ulong seed = 42, offset = 1000;
        var x = CudaAssert.Random(length, 70);
        using var dX = _gpu.Upload(x);
        using var dMask = _gpu.Rent<float>(length);
        using var dY = _gpu.Rent<float>(length);
        _gpu.Dropout.Forward(dX.View, p, seed, offset, dMask.View, dY.View);
        var mask = dMask.Download();
        var y = dY.Download();
        float keep = 1f / (1f - p);
        for (int i = 0; i < length; i++)
        {
            float expected = CounterRandom.NextFloat(seed, offset + (ulong)i) >= p ? keep : 0f;
            Assert.Equal(expected, mask[i]);
            Assert.Equal(x[i] * expected, y[i]);
        }
        double dropped = mask.Count(m => m == 0f) / (double)length;
        Assert.InRange(dropped, 0.26, 0.34); // ~p: the stream is uniform enough to be a dropout mask

        _gpu.Dropout.Forward(dX.View, p, seed, offset, dMask.View, dY.View);
        Assert.Equal(mask, dMask.Download());
        _gpu.Dropout.Forward(dX.View, p, seed + 1, offset, dMask.View, dY.View);
        Assert.NotEqual(mask, dMask.Download());
        Assert.Contains("between 0 and 1", Assert.Throws<ArgumentException>(() => _gpu.Dropout.Forward(dX.View, 1.5f, seed, 0, dMask.View, dY.View)).Message);
    }

    [Theory]
    [InlineData(0f, 0f, false)]
    [InlineData(0.9f, 0f, false)]
    [InlineData(0.9f, 5e-4f, false)]
    [InlineData(0.9f, 5e-4f, true)]
    public void SgdStepsMatchTheOptimizer(float momentum, float weightDecay, bool nesterov)
    {
        const int length = 23;
        const float lr = 0.05f;
        var start = CudaAssert.Random(length, 71);
        var p = Tensor.FromArray((float[])start.Clone(), length);
        p.RequiresGrad = true;
        var sgd = new Sgd([p], lr, momentum, weightDecay, nesterov);

        using var dP = _gpu.Upload(start);
        using var dG = _gpu.Rent<float>(length);
        using var dBuffer = _gpu.Rent<float>(length);
        for (int step = 0; step < 3; step++)
        {
            var g = CudaAssert.Random(length, 72 + step);
            p.Grad = Tensor.FromArray((float[])g.Clone(), length);
            sgd.Step();
            dG.Upload(g);
            _gpu.Sgd.Step(dP.View, dG.View, momentum != 0 ? dBuffer.View : default, lr, momentum, weightDecay, nesterov, firstStep: step == 0);
            CudaAssert.Close(p.Span, dP.Download(), $"p after step {step + 1}");
            if (momentum != 0) CudaAssert.Close(sgd.MomentumBuffer(0)!.Span, dBuffer.Download(), $"momentum after step {step + 1}");
        }
    }
}
