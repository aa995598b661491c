using NetBlocks.Backends;
using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Cuda;

/// <summary>Pooling, batch norm, softmax and the loss, random fills and the SGD step on the device.</summary>
public sealed partial class CudaBackend
{
    // ---------------------------------------------------------------- pooling

    public void MaxPool2d(Tensor x, Tensor y, PoolGeometry g)
    {
        var ys = F32(y);
        using var argmax = Context.Rent<int>(ys.Length);
        Context.Pooling.MaxForward(F32(x), ys, argmax.View, g);
    }

    /// <summary>The seam keeps no indices between the passes: the forward runs again for them, then dx gathers dy.</summary>
    public void MaxPool2dBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g)
    {
        var dys = F32(dy);
        using var y = Context.Rent<float>(dys.Length);
        using var argmax = Context.Rent<int>(dys.Length);
        Context.Pooling.MaxForward(F32(x), y.View, argmax.View, g);
        Context.Pooling.MaxBackward(dys, argmax.View, F32(dx), g);
    }

    public void AvgPool2d(Tensor x, Tensor y, PoolGeometry g) => Context.Pooling.AvgForward(F32(x), F32(y), g);

    public void AvgPool2dBackward(Tensor dy, Tensor dx, PoolGeometry g) => Context.Pooling.AvgBackward(F32(dy), F32(dx), g);

    public void AdaptiveAvgPool2d(Tensor x, Tensor y) =>
        Context.Pooling.AdaptiveAvgForward(F32(x), F32(y), x.Size(0) * x.Size(1), x.Size(2), x.Size(3), y.Size(2), y.Size(3));

    public void AdaptiveAvgPool2dBackward(Tensor dy, Tensor dx) =>
        Context.Pooling.AdaptiveAvgBackward(F32(dy), F32(dx), dx.Size(0) * dx.Size(1), dx.Size(2), dx.Size(3), dy.Size(2), dy.Size(3));

    // ---------------------------------------------------------------- batch normalisation

    public void BatchNormStatistics(Tensor x, float momentum, float eps, Tensor mean, Tensor invstd, Tensor? runningMean, Tensor? runningVar)
    {
        int n = x.Size(0), c = x.Size(1), s = x.Size(2) * x.Size(3);
        var ms = F32(mean);
        bool running = runningMean is not null && runningVar is not null;
        using var batchMean = Context.Rent<double>(c);
        using var batchVariance = Context.Rent<double>(c);
        Context.BatchNorm.Statistics(F32(x), n, c, s, batchMean.View, batchVariance.View);
        Context.BatchNorm.Parameters(batchMean.View, batchVariance.View, c, (long)n * s, eps, ms, F32(invstd),
            running ? F32(runningMean!) : ms.SubView(0, 0), running ? F32(runningVar!) : ms.SubView(0, 0), momentum);
    }

    /// <summary>Evaluation statistics on the device (<see cref="CudaBatchNorm.RunningStatistics"/>): no host round trip.</summary>
    public void BatchNormRunningStatistics(Tensor runningMean, Tensor runningVar, float eps, Tensor mean, Tensor invstd) =>
        Context.BatchNorm.RunningStatistics(F32(runningMean), F32(runningVar), mean.Numel, eps, F32(mean), F32(invstd));

    public void BatchNormNormalize(Tensor x, Tensor mean, Tensor invstd, Tensor? weight, Tensor? bias, Tensor y, bool relu)
    {
        int n = x.Size(0), c = x.Size(1), s = x.Size(2) * x.Size(3);
        var ms = F32(mean);
        Context.BatchNorm.Normalize(F32(x), n, c, s, ms, F32(invstd), F32OrEmpty(weight, ms), F32OrEmpty(bias, ms), F32(y), relu);
    }

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor? reluOutput, Tensor mean, Tensor invstd, Tensor? weight, bool training,
        Tensor? dx, Tensor? dweight, Tensor? dbias)
    {
        int n = x.Size(0), c = x.Size(1), s = x.Size(2) * x.Size(3);
        var xs = F32(x); var ms = F32(mean);
        Context.BatchNorm.Backward(xs, F32(dy), F32OrEmpty(reluOutput, xs), n, c, s, ms, F32(invstd), F32OrEmpty(weight, ms), training,
            F32OrEmpty(dx, xs), F32OrEmpty(dweight, ms), F32OrEmpty(dbias, ms));
    }

    // ---------------------------------------------------------------- softmax and loss

    public void LogSoftmax(Tensor x, Tensor y) => Context.Softmax.LogSoftmax(F32(x), F32(y), x.Size(0), x.Size(1));

    public void LogSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) =>
        Context.Softmax.LogSoftmaxBackward(F32(y), F32(dy), F32(dx), y.Size(0), y.Size(1));

    /// <summary>
    /// <c>F.CrossEntropy</c> has checked the labels on the host (before uploading them, or by downloading labels that
    /// were already on the device); a label out of range that reached the kernel anyway would make the loss NaN.
    /// </summary>
    public void CrossEntropy(Tensor logits, Tensor labels, Tensor logp, Tensor loss) =>
        Context.Softmax.CrossEntropy(F32(logits), I32(labels), F32(logp), F32(loss), logits.Size(0), logits.Size(1));

    public void CrossEntropyBackward(Tensor logp, Tensor labels, Tensor dloss, Tensor dx) =>
        Context.Softmax.CrossEntropyBackward(F32(logp), I32(labels), F32(dloss), F32(dx), logp.Size(0), logp.Size(1));

    // ---------------------------------------------------------------- random fills

    /// <summary>
    /// The mask is drawn on the host from <paramref name="generator"/>, in the CPU's order, and uploaded: the generator
    /// is a host object, and the same seed gives the same mask on either device (CudaDropout's counter-based masks,
    /// which need no upload, are not wired: they would differ from the CPU's).
    /// </summary>
    public void DropoutMask(Tensor mask, float p, RandomGenerator generator) =>
        DrawOnHost(mask, host => CpuBackend.Instance.DropoutMask(host, p, generator));

    /// <summary>Drawn on the host in element order and uploaded (initialisation: a device model starts from the CPU model's weights).</summary>
    public void FillUniform(Tensor t, float low, float high, RandomGenerator generator) =>
        DrawOnHost(t, host => CpuBackend.Instance.FillUniform(host, low, high, generator));

    public void FillNormal(Tensor t, float mean, float std, RandomGenerator generator) =>
        DrawOnHost(t, host => CpuBackend.Instance.FillNormal(host, mean, std, generator));

    private void DrawOnHost(Tensor t, Action<Tensor> draw, [System.Runtime.CompilerServices.CallerMemberName] string op = "")
    {
        var memory = Memory(t, DType.Float32, op);
        var host = Tensor.Empty(t.ShapeArray);
        draw(host);
        memory.Upload(host.Span, t.Offset);
        host.Release();
    }

    // ---------------------------------------------------------------- optimizer

    /// <summary>One fused kernel per parameter; the scratch the CPU needs is not used.</summary>
    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, bool firstStep, Tensor scratch,
        float learningRate, float momentum, float weightDecay, bool nesterov)
    {
        var ps = F32(param);
        Context.Sgd.Step(ps, F32(grad), F32OrEmpty(momentumBuffer, ps), learningRate, momentum, weightDecay, nesterov, firstStep);
    }
}
