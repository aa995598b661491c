using NetBlocks.Cuda;
using NetBlocks.Kernels;

namespace NetBlocks.Tests.Cuda;

/// <summary>
/// Batch norm on the CPU accelerator against the engine's CPU <see cref="BatchNorm"/> kernels and the parameter
/// arithmetic of <c>F.BatchNorm2d</c>: statistics (and bit-identical on a second run), mean/invstd and the running
/// statistics' update, normalise with and without γ/β and the fused ReLU, the backward in training and eval mode and
/// through the fused ReLU. Channels with fewer values than the 4-thread reduction group, and with many more.
/// </summary>
[Collection(CudaCollection.Name)]
public class CudaBatchNormTests(CudaFixture fixture)
{
    private readonly CudaContext _gpu = fixture.Context;

    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 3, 5, 7 },   // 21 values a channel: 5 rounds of 4 threads and a remainder
        { 1, 2, 3 },   // 3 values a channel: fewer than the group's threads
        { 4, 3, 16 },
    };

    [Fact]
    public void EvaluationStatisticsComeFromTheRunningOnesOnTheDeviceAsOnTheCpu()
    {
        const int c = 37;
        var runningMean = CudaAssert.Random(c, 41);
        var runningVar = CudaAssert.Random(c, 42, scale: 2f).Select(v => MathF.Abs(v) + 1e-3f).ToArray();
        var mean = NetBlocks.Tensors.Tensor.Empty(c);
        var invstd = NetBlocks.Tensors.Tensor.Empty(c);
        NetBlocks.Backends.CpuBackend.Instance.BatchNormRunningStatistics(NetBlocks.Tensors.Tensor.FromArray(runningMean, c),
            NetBlocks.Tensors.Tensor.FromArray(runningVar, c), 1e-5f, mean, invstd);

        using var dRunningMean = _gpu.Upload(runningMean);
        using var dRunningVar = _gpu.Upload(runningVar);
        using var dMean = _gpu.Rent<float>(c);
        using var dInvstd = _gpu.Rent<float>(c);
        _gpu.BatchNorm.RunningStatistics(dRunningMean.View, dRunningVar.View, c, 1e-5f, dMean.View, dInvstd.View);
        Assert.Equal(mean.ToArray(), dMean.Download());
        Assert.Equal(invstd.ToArray(), dInvstd.Download());
        Assert.Contains("cuda batch_norm running statistics: invstd has 3 values for 37 channels",
            Assert.Throws<ArgumentException>(() => _gpu.BatchNorm.RunningStatistics(dRunningMean.View, dRunningVar.View, c, 1e-5f, dMean.View, dInvstd.View.SubView(0, 3))).Message);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void StatisticsMatchTheCpuAndRepeatBitForBit(int n, int c, int s)
    {
        var x = CudaAssert.Random(n * c * s, 40, scale: 3f);
        for (int i = 0; i < x.Length; i++) x[i] += 10f; // an offset, as activations have: the shifted sums matter
        var mean = new double[c];
        var variance = new double[c];
        BatchNorm.Statistics(x, n, c, s, mean, variance);

        using var dX = _gpu.Upload(x);
        using var dMean = _gpu.Rent<double>(c);
        using var dVariance = _gpu.Rent<double>(c);
        _gpu.BatchNorm.Statistics(dX.View, n, c, s, dMean.View, dVariance.View);
        var first = (dMean.Download(), dVariance.Download());
        CudaAssert.Close(mean, first.Item1, "mean", 1e-9);
        CudaAssert.Close(variance, first.Item2, "variance", 1e-9);

        _gpu.BatchNorm.Statistics(dX.View, n, c, s, dMean.View, dVariance.View);
        Assert.Equal(first.Item1, dMean.Download()); // exact: the reduction order is fixed
        Assert.Equal(first.Item2, dVariance.Download());
    }

    [Fact]
    public void ParametersAndRunningStatisticsFollowTheFunctionalOp()
    {
        const int c = 3, count = 20;
        const float eps = 1e-5f, momentum = 0.1f;
        double[] batchMean = [0.5, -1.25, 3.0], batchVariance = [0.75, 2.0, 0.0];
        float[] runningMean = [0.1f, 0.2f, 0.3f], runningVar = [1f, 0.5f, 2f];
        var expectedMean = new float[c]; var expectedInvstd = new float[c];
        var expectedRunningMean = (float[])runningMean.Clone(); var expectedRunningVar = (float[])runningVar.Clone();
        for (int i = 0; i < c; i++) // F.BatchNorm2d's arithmetic in training
        {
            expectedMean[i] = (float)batchMean[i];
            expectedInvstd[i] = (float)(1.0 / Math.Sqrt(batchVariance[i] + eps));
            expectedRunningMean[i] = (float)((1 - momentum) * expectedRunningMean[i] + momentum * batchMean[i]);
            expectedRunningVar[i] = (float)((1 - momentum) * expectedRunningVar[i] + momentum * batchVariance[i] * count / (count - 1.0));
        }

        using var dBatchMean = _gpu.Upload(batchMean);
        using var dBatchVariance = _gpu.Upload(batchVariance);
        using var dMean = _gpu.Rent<float>(c);
        using var dInvstd = _gpu.Rent<float>(c);
        using var dRunningMean = _gpu.Upload(runningMean);
        using var dRunningVar = _gpu.Upload(runningVar);
        _gpu.BatchNorm.Parameters(dBatchMean.View, dBatchVariance.View, c, count, eps, dMean.View, dInvstd.View, dRunningMean.View, dRunningVar.View, momentum);
        CudaAssert.Close(expectedMean, dMean.Download(), "mean");
        CudaAssert.Close(expectedInvstd, dInvstd.Download(), "invstd");
        CudaAssert.Close(expectedRunningMean, dRunningMean.Download(), "running mean");
        CudaAssert.Close(expectedRunningVar, dRunningVar.Download(), "running variance");
        Assert.Contains("more than 1 value", Assert.Throws<ArgumentException>(() =>
            _gpu.BatchNorm.Parameters(dBatchMean.View, dBatchVariance.View, c, 1, eps, dMean.View, dInvstd.View, default, default, momentum)).Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void NormalizeMatchesTheCpu(bool affine, bool relu)
    {
        const int n = 3, c = 4, s = 5;
        var x = CudaAssert.Random(n * c * s, 41, scale: 2f);
        var mean = CudaAssert.Random(c, 42);
        var invstd = CudaAssert.Random(c, 43).Select(v => 0.5f + Math.Abs(v)).ToArray();
        var gamma = affine ? CudaAssert.Random(c, 44) : [];
        var beta = affine ? CudaAssert.Random(c, 45) : [];
        var y = new float[x.Length];
        BatchNorm.Normalize(x, n, c, s, mean, invstd, gamma, beta, y, relu);

        using var dX = _gpu.Upload(x);
        using var dMean = _gpu.Upload(mean);
        using var dInvstd = _gpu.Upload(invstd);
        using var dGamma = _gpu.Upload(gamma);
        using var dBeta = _gpu.Upload(beta);
        using var dY = _gpu.Rent<float>(x.Length);
        _gpu.BatchNorm.Normalize(dX.View, n, c, s, dMean.View, dInvstd.View, dGamma.View, dBeta.View, dY.View, relu);
        CudaAssert.Close(y, dY.Download(), "y");
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void BackwardMatchesTheCpu(bool training, bool relu)
    {
        const int n = 3, c = 4, s = 7;
        var x = CudaAssert.Random(n * c * s, 46, scale: 2f);
        var dy = CudaAssert.Random(x.Length, 47);
        var mean = new double[c]; var variance = new double[c];
        BatchNorm.Statistics(x, n, c, s, mean, variance);
        var meanF = mean.Select(v => (float)v).ToArray();
        var invstd = variance.Select(v => (float)(1.0 / Math.Sqrt(v + 1e-5))).ToArray();
        var gamma = CudaAssert.Random(c, 48);
        var beta = CudaAssert.Random(c, 49);
        var reluOutput = new float[x.Length];
        BatchNorm.Normalize(x, n, c, s, meanF, invstd, gamma, beta, reluOutput, relu: true);
        var dx = new float[x.Length]; var dgamma = new float[c]; var dbeta = new float[c];
        if (relu) BatchNorm.BackwardRelu(x, dy, reluOutput, n, c, s, meanF, invstd, gamma, training, dx, dgamma, dbeta);
        else BatchNorm.Backward(x, dy, n, c, s, meanF, invstd, gamma, training, dx, dgamma, dbeta);

        using var dX = _gpu.Upload(x);
        using var dDy = _gpu.Upload(dy);
        using var dRelu = _gpu.Upload(reluOutput);
        using var dMean = _gpu.Upload(meanF);
        using var dInvstd = _gpu.Upload(invstd);
        using var dGamma = _gpu.Upload(gamma);
        using var dDx = _gpu.Rent<float>(x.Length);
        using var dDgamma = _gpu.Rent<float>(c);
        using var dDbeta = _gpu.Rent<float>(c);
        _gpu.BatchNorm.Backward(dX.View, dDy.View, relu ? dRelu.View : default, n, c, s, dMean.View, dInvstd.View, dGamma.View, training,
            dDx.View, dDgamma.View, dDbeta.View);
        CudaAssert.Close(dx, dDx.Download(), "dx");
        CudaAssert.Close(dgamma, dDgamma.Download(), "dgamma");
        CudaAssert.Close(dbeta, dDbeta.Download(), "dbeta");
    }

    [Fact]
    public void MismatchedSizesAreRejected()
    {
        using var x = _gpu.Rent<float>(10);
        using var stats = _gpu.Rent<double>(1);
        Assert.Contains("x has 10 elements for (N=2, C=2, S=3)", Assert.Throws<ArgumentException>(() =>
            _gpu.BatchNorm.Statistics(x.View, 2, 2, 3, stats.View, stats.View)).Message);
        Assert.Contains("mean has 1 values for 2 channels", Assert.Throws<ArgumentException>(() =>
            _gpu.BatchNorm.Statistics(x.View, 1, 2, 5, stats.View, stats.View)).Message);
    }
}
