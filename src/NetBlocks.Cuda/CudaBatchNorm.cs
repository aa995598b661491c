using ILGPU;
using ILGPU.Runtime;

namespace NetBlocks.Cuda;

/// <summary>
/// Batch normalisation over x (N, C, S), S = H·W, on the device, the arithmetic of the engine's <c>BatchNorm</c> kernels
/// and <c>F.BatchNorm2d</c>:
/// <list type="bullet">
/// <item><see cref="Statistics"/>: batch mean and biased variance per channel in one pass over x — sums of x − k and
/// (x − k)² in double, shifted by the channel's first value k — as a <see cref="ChannelReduction"/>, so the order of
/// every addition is fixed and a run repeats bit for bit;</item>
/// <item><see cref="Parameters"/>: mean and invstd = 1/√(σ² + ε) as floats, and the running statistics' update
/// (unbiased variance), without leaving the device;</item>
/// <item><see cref="RunningStatistics"/>: evaluation's mean and invstd from the running statistics, on the device too
/// (no host round trip per batch-norm layer when a model evaluates on the GPU);</item>
/// <item><see cref="Normalize"/>: y = x·(invstd·γ) + (β − mean·invstd·γ), optionally fused with ReLU;</item>
/// <item><see cref="Backward"/>: dγ = Σ dy·x̂, dβ = Σ dy (a reduction per channel), then
/// dx = a·dy + b·x̂ + c with the CPU kernel's per-channel coefficients; with a ReLU output given, dy is first masked
/// by it (the fused BatchNorm2d + ReLU).</item>
/// </list>
/// Empty views stand for absent optional buffers (γ, β, dγ, dβ, the ReLU output, the running statistics).
/// </summary>
public sealed class CudaBatchNorm
{
    private readonly CudaContext _context;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<double>, ArrayView<double>, int, int, int> _statistics;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ParameterArgs> _parameters;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ParameterArgs> _running;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, NormalizeArgs> _normalize;
    private readonly Action<KernelConfig, BackwardArgs> _backwardReduce;
    private readonly Action<Index1D, BackwardArgs> _backwardApply;

    internal CudaBatchNorm(CudaContext context)
    {
        _context = context;
        var accelerator = context.Accelerator;
        _statistics = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<double>, ArrayView<double>, int, int, int>(StatisticsKernel);
        _parameters = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ParameterArgs>(ParametersKernel);
        _running = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ParameterArgs>(RunningStatisticsKernel);
        _normalize = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, NormalizeArgs>(NormalizeKernel);
        _backwardReduce = accelerator.LoadStreamKernel<BackwardArgs>(BackwardReduceKernel);
        _backwardApply = accelerator.LoadAutoGroupedStreamKernel<Index1D, BackwardArgs>(BackwardApplyKernel);
    }

    /// <summary>Batch mean and biased variance per channel (C values each), in double.</summary>
    public void Statistics(ArrayView<float> x, int n, int c, int s, ArrayView<double> mean, ArrayView<double> variance)
    {
        const string op = "cuda batch_norm statistics";
        Check(op, "x", x.Length, n, c, s);
        CheckChannels(op, "mean", mean.Length, c);
        CheckChannels(op, "variance", variance.Length, c);
        if ((long)n * s == 0) throw new ArgumentException($"{op}: no values per channel (N={n}, S={s})");
        if (c > 0) _statistics(ChannelReduction.Launch(c, _context.Tiling.ReduceGroup), x, mean, variance, n, c, s);
    }

    /// <summary>
    /// From the batch statistics: mean and invstd (floats) for <see cref="Normalize"/> and <see cref="Backward"/>, and,
    /// when both running views are given, running = (1 − momentum)·running + momentum·batch (the variance unbiased by
    /// M/(M − 1), M = N·S), as <c>F.BatchNorm2d</c> in training.
    /// </summary>
    public void Parameters(ArrayView<double> batchMean, ArrayView<double> batchVariance, int c, long valuesPerChannel, float eps,
        ArrayView<float> mean, ArrayView<float> invstd, ArrayView<float> runningMean, ArrayView<float> runningVar, float momentum)
    {
        const string op = "cuda batch_norm parameters";
        CheckChannels(op, "batch mean", batchMean.Length, c);
        CheckChannels(op, "batch variance", batchVariance.Length, c);
        CheckChannels(op, "mean", mean.Length, c);
        CheckChannels(op, "invstd", invstd.Length, c);
        bool running = runningMean.Length != 0 || runningVar.Length != 0;
        if (running)
        {
            CheckChannels(op, "running mean", runningMean.Length, c);
            CheckChannels(op, "running variance", runningVar.Length, c);
        }
        if (valuesPerChannel <= 1) throw new ArgumentException($"{op}: expected more than 1 value per channel when training, got {valuesPerChannel}");
        var args = new ParameterArgs
        {
            Mean = mean, Invstd = invstd, RunningMean = runningMean.OrEmptyOf(mean), RunningVar = runningVar.OrEmptyOf(mean), UpdateRunning = running ? 1 : 0,
            Eps = eps, Momentum = momentum, Count = valuesPerChannel,
        };
        if (c > 0) _parameters(c, batchMean, batchVariance, args);
    }

    /// <summary>
    /// Evaluation's statistics: mean = running mean, invstd = 1/√(running variance + ε) computed in double and rounded
    /// to float, as the CPU backend's <c>BatchNormRunningStatistics</c>.
    /// </summary>
    public void RunningStatistics(ArrayView<float> runningMean, ArrayView<float> runningVar, int c, float eps, ArrayView<float> mean, ArrayView<float> invstd)
    {
        const string op = "cuda batch_norm running statistics";
        CheckChannels(op, "running mean", runningMean.Length, c);
        CheckChannels(op, "running variance", runningVar.Length, c);
        CheckChannels(op, "mean", mean.Length, c);
        CheckChannels(op, "invstd", invstd.Length, c);
        if (c > 0) _running(c, runningMean, runningVar, new ParameterArgs { Mean = mean, Invstd = invstd, RunningMean = runningMean, RunningVar = runningVar, Eps = eps });
    }

    /// <summary>y = (x − mean)·invstd·γ + β per channel (γ, β may be empty: 1 and 0), then max(y, 0) with <paramref name="relu"/>.</summary>
    public void Normalize(ArrayView<float> x, int n, int c, int s, ArrayView<float> mean, ArrayView<float> invstd,
        ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y, bool relu)
    {
        const string op = "cuda batch_norm";
        long count = Check(op, "x", x.Length, n, c, s);
        Check(op, "y", y.Length, n, c, s);
        CheckChannels(op, "mean", mean.Length, c);
        CheckChannels(op, "invstd", invstd.Length, c);
        CheckChannels(op, "gamma", gamma.Length, c, optional: true);
        CheckChannels(op, "beta", beta.Length, c, optional: true);
        var args = new NormalizeArgs { Mean = mean, Invstd = invstd, Gamma = gamma.OrEmptyOf(mean), Beta = beta.OrEmptyOf(mean), C = c, S = s, Relu = relu ? 1 : 0 };
        if (count > 0) _normalize((int)count, x, y, args);
    }

    /// <summary>
    /// Backward of batch norm. With <paramref name="useBatchStats"/> (training) dx = γ·invstd/M·(M·dy − Σdy − x̂·Σdy·x̂),
    /// else dx = γ·invstd·dy. <paramref name="reluOutput"/> (may be empty) masks dy first. dx, dγ, dβ may each be empty.
    /// </summary>
    public void Backward(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> reluOutput, int n, int c, int s,
        ArrayView<float> mean, ArrayView<float> invstd, ArrayView<float> gamma, bool useBatchStats,
        ArrayView<float> dx, ArrayView<float> dgamma, ArrayView<float> dbeta)
    {
        const string op = "cuda batch_norm backward";
        long count = Check(op, "x", x.Length, n, c, s);
        Check(op, "dy", dy.Length, n, c, s);
        if (reluOutput.Length != 0) Check(op, "relu output", reluOutput.Length, n, c, s);
        if (dx.Length != 0) Check(op, "dx", dx.Length, n, c, s);
        CheckChannels(op, "mean", mean.Length, c);
        CheckChannels(op, "invstd", invstd.Length, c);
        CheckChannels(op, "gamma", gamma.Length, c, optional: true);
        CheckChannels(op, "dgamma", dgamma.Length, c, optional: true);
        CheckChannels(op, "dbeta", dbeta.Length, c, optional: true);
        if (c == 0) return;
        using var coefficients = _context.Rent<float>(3L * c);
        var args = new BackwardArgs
        {
            X = x, Dy = dy, Mask = reluOutput.OrEmptyOf(x), Mean = mean, Invstd = invstd, Gamma = gamma.OrEmptyOf(mean),
            Dx = dx.OrEmptyOf(x), Dgamma = dgamma.OrEmptyOf(mean), Dbeta = dbeta.OrEmptyOf(mean),
            Coefficients = coefficients.View, N = n, C = c, S = s, UseBatchStats = useBatchStats ? 1 : 0,
        };
        _backwardReduce(ChannelReduction.Launch(c, _context.Tiling.ReduceGroup), args);
        if (dx.Length != 0 && count > 0) _backwardApply((int)count, args);
        // The coefficients go back to the pool here; the kernels that read them are queued before any later kernel that
        // could rent the same buffer, and the default stream runs them in order.
    }

    private static long Check(string op, string name, long length, int n, int c, int s)
    {
        if (n < 0 || c < 0 || s < 0) throw new ArgumentException($"{op}: negative size (N={n}, C={c}, S={s})");
        long count = (long)n * c * s;
        if (count > int.MaxValue) throw new ArgumentException($"{op}: {count} elements exceed a kernel launch");
        if (length != count) throw new ArgumentException($"{op}: {name} has {length} elements for (N={n}, C={c}, S={s})");
        return count;
    }

    private static void CheckChannels(string op, string name, long length, int c, bool optional = false)
    {
        if (length < c && !(optional && length == 0))
            throw new ArgumentException($"{op}: {name} has {length} values for {c} channels{(optional ? " (give C values or none)" : "")}");
    }

    private static void StatisticsKernel(ArrayView<float> x, ArrayView<double> mean, ArrayView<double> variance, int n, int c, int s)
    {
        int channel = Grid.IdxX;
        long count = (long)n * s;
        float k = x[(long)channel * s]; // the channel's first value (sample 0), as the CPU kernel shifts
        double sum = 0, squares = 0;
        for (long e = Group.IdxX; e < count; e += Group.DimX)
        {
            double d = x[ChannelReduction.Index(channel, c, s, e)] - k;
            sum += d;
            squares += d * d;
        }
        var shared = SharedMemory.GetDynamic<double>();
        double totalSum = ChannelReduction.Sum(shared, sum);
        double totalSquares = ChannelReduction.Sum(shared, squares);
        if (Group.IdxX != 0) return;
        double shift = totalSum / count;
        mean[channel] = k + shift;
        variance[channel] = Math.Max(0.0, totalSquares / count - shift * shift);
    }

    internal struct ParameterArgs
    {
        public ArrayView<float> Mean, Invstd, RunningMean, RunningVar;
        public int UpdateRunning;
        public float Eps, Momentum;
        public long Count;
    }

    private static void ParametersKernel(Index1D channel, ArrayView<double> batchMean, ArrayView<double> batchVariance, ParameterArgs p)
    {
        double bm = batchMean[channel], bv = batchVariance[channel];
        p.Mean[channel] = (float)bm;
        p.Invstd[channel] = (float)(1.0 / Math.Sqrt(bv + p.Eps));
        if (p.UpdateRunning == 0) return;
        double m = p.Count;
        p.RunningMean[channel] = (float)((1 - p.Momentum) * p.RunningMean[channel] + p.Momentum * bm);
        p.RunningVar[channel] = (float)((1 - p.Momentum) * p.RunningVar[channel] + p.Momentum * bv * m / (m - 1));
    }

    private static void RunningStatisticsKernel(Index1D channel, ArrayView<float> runningMean, ArrayView<float> runningVar, ParameterArgs p)
    {
        p.Mean[channel] = runningMean[channel];
        p.Invstd[channel] = (float)(1.0 / Math.Sqrt(runningVar[channel] + (double)p.Eps));
    }

    internal struct NormalizeArgs
    {
        public ArrayView<float> Mean, Invstd, Gamma, Beta;
        public int C, S, Relu;
    }

    private static void NormalizeKernel(Index1D index, ArrayView<float> x, ArrayView<float> y, NormalizeArgs p)
    {
        int channel = (int)((long)index.X / p.S % p.C);
        float scale = p.Invstd[channel] * (p.Gamma.Length == 0 ? 1f : p.Gamma[channel]);
        float shift = (p.Beta.Length == 0 ? 0f : p.Beta[channel]) - p.Mean[channel] * scale;
        float v = scale * x[index] + shift;
        y[index] = p.Relu != 0 ? (v <= 0f ? 0f : v) : v;
    }

    internal struct BackwardArgs
    {
        public ArrayView<float> X, Dy, Mask, Mean, Invstd, Gamma, Dx, Dgamma, Dbeta, Coefficients;
        public int N, C, S, UseBatchStats;
    }

    private static void BackwardReduceKernel(BackwardArgs p)
    {
        int channel = Grid.IdxX;
        long count = (long)p.N * p.S;
        float mu = p.Mean[channel], istd = p.Invstd[channel];
        double sumDy = 0, sumDyXhat = 0;
        for (long e = Group.IdxX; e < count; e += Group.DimX)
        {
            long i = ChannelReduction.Index(channel, p.C, p.S, e);
            float d = p.Mask.Length == 0 || p.Mask[i] > 0 ? p.Dy[i] : 0f;
            sumDy += d;
            sumDyXhat += d * ((p.X[i] - mu) * istd);
        }
        var shared = SharedMemory.GetDynamic<double>();
        double totalDy = ChannelReduction.Sum(shared, sumDy);
        double totalDyXhat = ChannelReduction.Sum(shared, sumDyXhat);
        if (Group.IdxX != 0) return;
        if (p.Dgamma.Length != 0) p.Dgamma[channel] = (float)totalDyXhat;
        if (p.Dbeta.Length != 0) p.Dbeta[channel] = (float)totalDy;
        double m = count;
        float g = p.Gamma.Length == 0 ? 1f : p.Gamma[channel];
        double k = g * istd / m;
        p.Coefficients[3 * channel] = p.UseBatchStats != 0 ? (float)(k * m) : g * istd;
        p.Coefficients[3 * channel + 1] = p.UseBatchStats != 0 ? (float)(-k * totalDyXhat) : 0f;
        p.Coefficients[3 * channel + 2] = p.UseBatchStats != 0 ? (float)(-k * totalDy) : 0f;
    }

    private static void BackwardApplyKernel(Index1D index, BackwardArgs p)
    {
        int channel = (int)((long)index.X / p.S % p.C);
        float xhat = (p.X[index] - p.Mean[channel]) * p.Invstd[channel];
        float d = p.Mask.Length == 0 || p.Mask[index] > 0 ? p.Dy[index] : 0f;
        p.Dx[index] = p.Coefficients[3 * channel] * d + p.Coefficients[3 * channel + 1] * xhat + p.Coefficients[3 * channel + 2];
    }
}
