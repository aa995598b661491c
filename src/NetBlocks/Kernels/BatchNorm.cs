using System.Numerics;

namespace NetBlocks.Kernels;

/// <summary>
/// Batch normalisation over x (N, C, S) with S = H·W: per channel c,
/// y = (x − μ_c) · invstd_c · γ_c + β_c, invstd_c = 1/√(σ²_c + ε). Sums accumulate in double.
/// Channels are independent, so they are split over the threads; each channel is summed by one thread in a fixed
/// order (rows in sample order, 8 lanes widened to double), so the result does not depend on the thread count.
/// </summary>
public static unsafe class BatchNorm
{
    /// <summary>Below this many elements a call stays on the calling thread.</summary>
    private const int ParallelThreshold = 1 << 15;

    private static bool Parallel(long elements, int channels, int threads) => threads > 1 && channels > 1 && elements >= ParallelThreshold;

    /// <summary>Batch mean and biased variance per channel.</summary>
    public static void Statistics(ReadOnlySpan<float> x, int n, int c, int s, Span<double> mean, Span<double> variance)
        => Statistics(x, n, c, s, mean, variance, ExecutionContext.Current.Threads);

    internal static void Statistics(ReadOnlySpan<float> x, int n, int c, int s, Span<double> mean, Span<double> variance, int threads)
    {
        Check(x.Length, n, c, s);
        CheckChannels(nameof(mean), mean.Length, c);
        CheckChannels(nameof(variance), variance.Length, c);
        fixed (float* px = x)
        fixed (double* pm = mean, pv = variance)
        {
            var body = new StatisticsBody { X = px, N = n, C = c, S = s, Mean = pm, Variance = pv };
            if (Parallel(x.Length, c, threads)) Threading.For(c, ref body, threads);
            else for (int ch = 0; ch < c; ch++) body.Invoke(ch);
        }
    }

    /// <summary>y = (x − mean) · invstd · γ + β per channel; γ/β may be empty (1 and 0). y may be x.</summary>
    public static void Normalize(ReadOnlySpan<float> x, int n, int c, int s, ReadOnlySpan<float> mean, ReadOnlySpan<float> invstd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
        => Normalize(x, n, c, s, mean, invstd, gamma, beta, y, relu: false);

    /// <summary>
    /// As <see cref="Normalize(ReadOnlySpan{float}, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>,
    /// then y = max(y, 0) when <paramref name="relu"/> (the fused BatchNorm2d + ReLU).
    /// </summary>
    public static void Normalize(ReadOnlySpan<float> x, int n, int c, int s, ReadOnlySpan<float> mean, ReadOnlySpan<float> invstd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, bool relu)
        => Normalize(x, n, c, s, mean, invstd, gamma, beta, y, relu, ExecutionContext.Current.Threads);

    internal static void Normalize(ReadOnlySpan<float> x, int n, int c, int s, ReadOnlySpan<float> mean, ReadOnlySpan<float> invstd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, bool relu, int threads)
    {
        Check(x.Length, n, c, s);
        Check(y.Length, n, c, s);
        CheckChannels(nameof(mean), mean.Length, c);
        CheckChannels(nameof(invstd), invstd.Length, c);
        CheckChannels(nameof(gamma), gamma.Length, c, optional: true);
        CheckChannels(nameof(beta), beta.Length, c, optional: true);
        fixed (float* px = x, py = y, pm = mean, pi = invstd, pg = gamma, pb = beta)
        {
            var body = new NormalizeBody { X = px, Y = py, N = n, C = c, S = s, Mean = pm, Invstd = pi, Gamma = pg, Beta = pb, Relu = relu };
            if (Parallel(x.Length, c, threads)) Threading.For(c, ref body, threads);
            else for (int ch = 0; ch < c; ch++) body.Invoke(ch);
        }
    }

    /// <summary>
    /// Backward of training-mode batch norm. With x̂ = (x − μ)·invstd and M = N·S:
    /// dγ = Σ dy·x̂, dβ = Σ dy, dx = γ·invstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)).
    /// When <paramref name="useBatchStats"/> is false (eval mode) μ and invstd are constants: dx = γ·invstd·dy.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int c, int s, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invstd, ReadOnlySpan<float> gamma, bool useBatchStats, Span<float> dx, Span<float> dgamma, Span<float> dbeta)
        => Backward(x, dy, n, c, s, mean, invstd, gamma, useBatchStats, dx, dgamma, dbeta, ExecutionContext.Current.Threads);

    /// <summary>
    /// As <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, bool, Span{float}, Span{float}, Span{float})"/>
    /// for the fused BatchNorm2d + ReLU: dy is first masked by the fused output (dy where <paramref name="reluOutput"/> &gt; 0,
    /// else 0), exactly as a separate ReLU backward would do, without writing the masked gradient anywhere.
    /// </summary>
    public static void BackwardRelu(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> reluOutput, int n, int c, int s,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invstd, ReadOnlySpan<float> gamma, bool useBatchStats, Span<float> dx,
        Span<float> dgamma, Span<float> dbeta)
    {
        Check(reluOutput.Length, n, c, s);
        Backward(x, dy, n, c, s, mean, invstd, gamma, useBatchStats, dx, dgamma, dbeta, ExecutionContext.Current.Threads, reluOutput);
    }

    internal static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int c, int s, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invstd, ReadOnlySpan<float> gamma, bool useBatchStats, Span<float> dx, Span<float> dgamma, Span<float> dbeta,
        int threads, ReadOnlySpan<float> reluOutput = default)
    {
        Check(x.Length, n, c, s);
        Check(dy.Length, n, c, s);
        if (!dx.IsEmpty) Check(dx.Length, n, c, s);
        if (!reluOutput.IsEmpty) Check(reluOutput.Length, n, c, s);
        CheckChannels(nameof(mean), mean.Length, c);
        CheckChannels(nameof(invstd), invstd.Length, c);
        CheckChannels(nameof(gamma), gamma.Length, c, optional: true);
        CheckChannels(nameof(dgamma), dgamma.Length, c, optional: true);
        CheckChannels(nameof(dbeta), dbeta.Length, c, optional: true);
        fixed (float* px = x, pdy = dy, pm = mean, pi = invstd, pg = gamma, pdx = dx, pdg = dgamma, pdb = dbeta, pmask = reluOutput)
        {
            var body = new BackwardBody
            {
                X = px, Dy = pdy, Mask = pmask, N = n, C = c, S = s, Mean = pm, Invstd = pi, Gamma = pg, UseBatchStats = useBatchStats,
                Dx = pdx, Dgamma = pdg, Dbeta = pdb,
            };
            if (Parallel(x.Length, c, threads)) Threading.For(c, ref body, threads);
            else for (int ch = 0; ch < c; ch++) body.Invoke(ch);
        }
    }

    /// <summary>The entry check of every batch-norm kernel: (N, C, S) non-negative, and a buffer of exactly N·C·S elements.</summary>
    private static void Check(int length, int n, int c, int s)
    {
        if (n < 0 || c < 0 || s < 0 || length != Sizes.Product([n, c, s]))
            throw new ArgumentException($"batch_norm: {length} elements for (N={n}, C={c}, S={s})");
    }

    /// <summary>A per-channel buffer holds at least C values (or is empty, when <paramref name="optional"/>).</summary>
    private static void CheckChannels(string name, int length, int c, bool optional = false)
    {
        if (length < c && !(optional && length == 0))
            throw new ArgumentException($"batch_norm: {name} has {length} values for {c} channels{(optional ? " (give C values or none)" : "")}");
    }

    /// <summary>Σ x[i] in double: 8 float lanes widened to two 4-lane double accumulators, then the tail.</summary>
    internal static double SumWide(float* x, int length)
    {
        var a0 = Vector<double>.Zero; var a1 = Vector<double>.Zero;
        int w = Vector<float>.Count, i = 0;
        for (; i <= length - w; i += w)
        {
            Vector.Widen(*(Vector<float>*)(x + i), out var lo, out var hi);
            a0 += lo; a1 += hi;
        }
        double sum = Vector.Sum(a0 + a1);
        for (; i < length; i++) sum += x[i];
        return sum;
    }

    /// <summary>
    /// One pass over x: Σ (x − k) and Σ (x − k)², the differences taken in float and summed in double (8 lanes
    /// widened to two 4-lane accumulators each, then the tail). With k a value of the channel itself, (x − k) has the
    /// size of the spread, so the variance E[(x − k)²] − (E[x − k])² does not cancel even when the mean is far from 0.
    /// </summary>
    private static void ShiftedSums(float* x, int length, float k, ref double sum, ref double squares)
    {
        var s0 = Vector<double>.Zero; var s1 = Vector<double>.Zero;
        var q0 = Vector<double>.Zero; var q1 = Vector<double>.Zero;
        var vk = new Vector<float>(k);
        int w = Vector<float>.Count, i = 0;
        for (; i <= length - w; i += w)
        {
            Vector.Widen(*(Vector<float>*)(x + i) - vk, out var lo, out var hi);
            s0 += lo; s1 += hi;
            q0 += lo * lo; q1 += hi * hi;
        }
        double s = Vector.Sum(s0 + s1), q = Vector.Sum(q0 + q1);
        for (; i < length; i++) { double d = x[i] - k; s += d; q += d * d; }
        sum += s;
        squares += q;
    }

    /// <summary>Per channel, in one pass over its values: the mean and the biased variance (see <see cref="ShiftedSums"/>).</summary>
    private struct StatisticsBody : IParallelBody
    {
        public float* X;
        public double* Mean, Variance;
        public int N, C, S;

        public readonly void Invoke(int ch)
        {
            long count = (long)N * S;
            float k = X[(long)ch * S]; // the channel's first value (sample 0)
            double sum = 0, squares = 0;
            for (int i = 0; i < N; i++) ShiftedSums(X + ((long)i * C + ch) * S, S, k, ref sum, ref squares);
            double shift = sum / count;
            Mean[ch] = k + shift;
            Variance[ch] = Math.Max(0, squares / count - shift * shift);
        }
    }

    private struct NormalizeBody : IParallelBody
    {
        public float* X, Y, Mean, Invstd, Gamma, Beta;
        public int N, C, S;
        public bool Relu;

        public readonly void Invoke(int ch)
        {
            float scale = Invstd[ch] * (Gamma == null ? 1f : Gamma[ch]);
            float shift = (Beta == null ? 0f : Beta[ch]) - Mean[ch] * scale;
            for (int i = 0; i < N; i++)
            {
                long off = ((long)i * C + ch) * S;
                var xr = new ReadOnlySpan<float>(X + off, S);
                var yr = new Span<float>(Y + off, S);
                if (Relu) Elementwise.AffineRelu(xr, scale, shift, yr);
                else Elementwise.Affine(xr, scale, shift, yr);
            }
        }
    }

    private struct BackwardBody : IParallelBody
    {
        /// <summary>Mask: the fused ReLU's output (dy counts only where it is &gt; 0), or null.</summary>
        public float* X, Dy, Mask, Mean, Invstd, Gamma, Dx, Dgamma, Dbeta;
        public int N, C, S;
        public bool UseBatchStats;

        public readonly void Invoke(int ch)
        {
            double m = (double)N * S;
            float mu = Mean[ch], istd = Invstd[ch];
            var vmu = new Vector<float>(mu); var vistd = new Vector<float>(istd);
            int w = Vector<float>.Count;
            double sumDy = 0, sumDyXhat = 0;
            for (int i = 0; i < N; i++)
            {
                long off = ((long)i * C + ch) * S;
                float* xr = X + off, dyr = Dy + off, mr = Mask == null ? null : Mask + off;
                var s0 = Vector<double>.Zero; var s1 = Vector<double>.Zero;
                var t0 = Vector<double>.Zero; var t1 = Vector<double>.Zero;
                int j = 0;
                for (; j <= S - w; j += w)
                {
                    var dyv = *(Vector<float>*)(dyr + j);
                    if (mr != null) dyv = Vector.ConditionalSelect(Vector.GreaterThan(*(Vector<float>*)(mr + j), Vector<float>.Zero), dyv, Vector<float>.Zero);
                    var prod = dyv * ((*(Vector<float>*)(xr + j) - vmu) * vistd);
                    Vector.Widen(dyv, out var lo, out var hi);
                    s0 += lo; s1 += hi;
                    Vector.Widen(prod, out lo, out hi);
                    t0 += lo; t1 += hi;
                }
                double rowDy = Vector.Sum(s0 + s1), rowDyXhat = Vector.Sum(t0 + t1);
                for (; j < S; j++)
                {
                    float d = mr == null || mr[j] > 0 ? dyr[j] : 0f;
                    rowDy += d;
                    rowDyXhat += d * ((xr[j] - mu) * istd);
                }
                sumDy += rowDy; sumDyXhat += rowDyXhat;
            }
            if (Dgamma != null) Dgamma[ch] = (float)sumDyXhat;
            if (Dbeta != null) Dbeta[ch] = (float)sumDy;
            if (Dx == null) return;
            float g = Gamma == null ? 1f : Gamma[ch];
            // dx = k·(M·dy − Σdy − x̂·Σdy·x̂) with k = γ·invstd/M, i.e. a·dy + b·x̂ + c
            double k = g * istd / m;
            float a = UseBatchStats ? (float)(k * m) : g * istd;
            float b = UseBatchStats ? (float)(-k * sumDyXhat) : 0f;
            float c0 = UseBatchStats ? (float)(-k * sumDy) : 0f;
            var va = new Vector<float>(a); var vb = new Vector<float>(b); var vc = new Vector<float>(c0);
            for (int i = 0; i < N; i++)
            {
                long off = ((long)i * C + ch) * S;
                float* xr = X + off, dyr = Dy + off, dxr = Dx + off, mr = Mask == null ? null : Mask + off;
                int j = 0;
                for (; j <= S - w; j += w)
                {
                    var xhat = (*(Vector<float>*)(xr + j) - vmu) * vistd;
                    var dyv = *(Vector<float>*)(dyr + j);
                    if (mr != null) dyv = Vector.ConditionalSelect(Vector.GreaterThan(*(Vector<float>*)(mr + j), Vector<float>.Zero), dyv, Vector<float>.Zero);
                    *(Vector<float>*)(dxr + j) = va * dyv + vb * xhat + vc;
                }
                for (; j < S; j++)
                {
                    float xhat = (xr[j] - mu) * istd;
                    float d = mr == null || mr[j] > 0 ? dyr[j] : 0f;
                    dxr[j] = a * d + b * xhat + c0;
                }
            }
        }
    }
}
