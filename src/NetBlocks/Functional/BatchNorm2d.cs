using NetBlocks.Autograd;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>
    /// Batch normalisation of x (N, C, H, W), torch.nn.functional.batch_norm. In training, normalises with the batch
    /// mean and biased variance and updates the running statistics in place:
    /// running = (1 − momentum)·running + momentum·batch, with the unbiased variance (·M/(M−1)) as PyTorch.
    /// In eval, normalises with the running statistics. With <paramref name="relu"/>, returns relu(batch_norm(x)) in one
    /// pass (the fused BatchNorm2d + ReLU; the same values and gradients as the two ops one after the other).
    /// </summary>
    public static Tensor BatchNorm2d(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum = 0.1f, float eps = 1e-5f, bool relu = false)
    {
        using var profile = OpProfiler.Scope(relu ? "BatchNorm2d+ReLU" : "BatchNorm2d");
        if (x.Rank != 4) throw new ArgumentException($"batch_norm2d: expected input (N, C, H, W), got {ShapeUtil.Format(x.Shape)}");
        if (AnyMeta(x, weight, runningMean)) return Tensor.Meta(x.ShapeArray); // no statistics: the running ones stay as they are
        SameDevice("batch_norm2d", x, weight, bias, runningMean, runningVar);
        int n = x.Size(0), c = x.Size(1), s = x.Size(2) * x.Size(3);
        // the per-channel statistics live as long as the graph (as arrays did before), outside the pool
        var mean = Tensor.ZerosPersistent(x.Device, c);
        var invstd = Tensor.ZerosPersistent(x.Device, c);
        var backend = x.Backend;
        if (training)
        {
            if ((long)n * s <= 1)
                throw new ArgumentException($"batch_norm2d: expected more than 1 value per channel when training, got input {ShapeUtil.Format(x.Shape)}");
            backend.BatchNormStatistics(x, momentum, eps, mean, invstd, runningMean, runningVar);
        }
        else
        {
            if (runningMean is null || runningVar is null) throw new ArgumentException("batch_norm2d: eval mode needs running statistics");
            backend.BatchNormRunningStatistics(runningMean, runningVar, eps, mean, invstd);
        }
        var y = Tensor.Empty(x.Device, x.ShapeArray);
        backend.BatchNormNormalize(x, mean, invstd, weight, bias, y, relu);
        if (!Node.ShouldRecord(x, weight, bias))
        {
            // the statistics die here: a device's buffers go back to its allocator now (on the CPU this frees nothing)
            mean.Release();
            invstd.Release();
            return y;
        }
        return new BatchNorm2dBackward(x.KeepForBackward(), weight, bias, mean, invstd, training, relu ? y.KeepForBackward() : null).Attach(y);
    }

    /// <summary>
    /// y = x̂·γ + β with x̂ = (x − μ)·invstd. dγ = Σ dy·x̂, dβ = Σ dy; dx = γ·invstd/M·(M·dy − Σdy − x̂·Σ dy·x̂) in
    /// training (μ, σ depend on x), dx = γ·invstd·dy in eval. Fused with ReLU, dy first counts only where the output
    /// <paramref name="reluOutput"/> is positive.
    /// </summary>
    private sealed class BatchNorm2dBackward(Tensor x, Tensor? weight, Tensor? bias, Tensor mean, Tensor invstd, bool training, Tensor? reluOutput)
        : Node(x, weight, bias)
    {
        public override string Name => reluOutput is null ? "NativeBatchNormBackward0" : "NativeBatchNormReluBackward";

        protected internal override void Backward(Tensor dy)
        {
            using var profile = OpProfiler.Scope(reluOutput is null ? "BatchNorm2dBackward" : "BatchNorm2d+ReLUBackward");
            int c = x.Size(1);
            var dx = NeedsGrad(0) ? Tensor.Empty(dy.Device, x.ShapeArray) : null;
            var dg = NeedsGrad(1) ? Tensor.Empty(dy.Device, c) : null;
            var db = NeedsGrad(2) ? Tensor.Empty(dy.Device, c) : null;
            dy.Backend.BatchNormBackward(x, dy, reluOutput, mean, invstd, weight, training, dx, dg, db);
            if (dx is not null) Accumulate(0, dx);
            if (dg is not null) Accumulate(1, dg);
            if (db is not null) Accumulate(2, db);
        }

        /// <summary>The statistics the backward read: a device's buffers go back to its allocator (nothing to free on the CPU).</summary>
        protected internal override void ReleaseSaved()
        {
            mean.Release();
            invstd.Release();
        }
    }
}
