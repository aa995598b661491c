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
            int parts = Parallel(x.Length, c, threads) ? Math.Min(c, 2 * threads) : 1;
            var body = new StatisticsBody { X = px, N = n, C = c, S = s, Mean = pm, Variance = pv, Parts = parts };
            if (parts > 1) Threading.For(parts, ref body, threads);
            else body.Invoke(0);
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
        // per channel y = x·scale + shift; the rows are then walked in memory order, sample by sample (or, for a batch
        // smaller than the thread count, a range of channels of a sample): no call and no span per row, which on small
        // planes (a 4×4 row is one vector) cost more than the row's arithmetic
        float[] coefficients = ThreadScratch.Get(ref t_coefficients, 2 * c);
        fixed (float* px = x, py = y, pm = mean, pi = invstd, pg = gamma, pb = beta, pc = coefficients)
        {
            for (int ch = 0; ch < c; ch++)
            {
                float scale = pi[ch] * (pg == null ? 1f : pg[ch]);
                pc[2 * ch] = scale;
                pc[2 * ch + 1] = (pb == null ? 0f : pb[ch]) - pm[ch] * scale;
            }
            int parts = threads > 1 && n < threads ? Math.Min(c, 2 * threads) : 1;
            var body = new NormalizeBody { X = px, Y = py, C = c, S = s, Coefficients = pc, Relu = relu, Parts = parts };
            if (Parallel(x.Length, c, threads)) Threading.For(n * parts, ref body, threads);
            else for (int item = 0; item < n * parts; item++) body.Invoke(item);
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
            // two passes, each walking the rows in memory order: the sums per channel (parts of the channels over the
            // threads, each channel's rows in sample order), then dx (per sample, or per sample and part of the channels)
            bool parallel = Parallel(x.Length, c, threads);
            double[] sums = ThreadScratch.Get(ref t_sums, 2 * c);
            float[] coefficients = ThreadScratch.Get(ref t_coefficients, 3 * c);
            fixed (double* ps = sums)
            fixed (float* pc = coefficients)
            {
                int parts = parallel ? Math.Min(c, 2 * threads) : 1;
                var pass1 = new BackwardSumsBody { X = px, Dy = pdy, Mask = pmask, N = n, C = c, S = s, Mean = pm, Invstd = pi, Sums = ps, Parts = parts };
                if (parts > 1) Threading.For(parts, ref pass1, threads);
                else pass1.Invoke(0);
                double m = (double)n * s;
                for (int ch = 0; ch < c; ch++)
                {
                    double sumDy = ps[2 * ch], sumDyXhat = ps[2 * ch + 1];
                    if (pdg != null) pdg[ch] = (float)sumDyXhat;
                    if (pdb != null) pdb[ch] = (float)sumDy;
                    // dx = k·(M·dy − Σdy − x̂·Σdy·x̂) with k = γ·invstd/M, i.e. a·dy + b·x̂ + c
                    float g = pg == null ? 1f : pg[ch], istd = pi[ch];
                    double k = g * istd / m;
                    pc[3 * ch] = useBatchStats ? (float)(k * m) : g * istd;
                    pc[3 * ch + 1] = useBatchStats ? (float)(-k * sumDyXhat) : 0f;
                    pc[3 * ch + 2] = useBatchStats ? (float)(-k * sumDy) : 0f;
                }
                if (pdx == null) return;
                int dxParts = parallel && n < threads ? Math.Min(c, 2 * threads) : 1;
                var pass2 = new BackwardDxBody { X = px, Dy = pdy, Mask = pmask, C = c, S = s, Mean = pm, Invstd = pi, Coefficients = pc, Dx = pdx, Parts = dxParts };
                if (parallel) Threading.For(n * dxParts, ref pass2, threads);
                else for (int item = 0; item < n * dxParts; item++) pass2.Invoke(item);
            }
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

    /// <summary>
    /// Part p of the channels (a contiguous range), in one pass over their values: the mean and the biased variance
    /// (see <see cref="ShiftedSums"/>), each channel's rows summed in sample order; walked sample by sample so that the
    /// part's rows are read in memory order (Mean and Variance hold the running sums until the end).
    /// </summary>
    private struct StatisticsBody : IParallelBody
    {
        public float* X;
        public double* Mean, Variance;
        public int N, C, S, Parts;

        public readonly void Invoke(int part)
        {
            var (c0, c1) = ChannelsOf(part, Parts, C);
            long count = (long)N * S;
            for (int ch = c0; ch < c1; ch++) Mean[ch] = Variance[ch] = 0;
            for (int i = 0; i < N; i++)
            for (int ch = c0; ch < c1; ch++)
                ShiftedSums(X + ((long)i * C + ch) * S, S, Shift(ch), ref Mean[ch], ref Variance[ch]);
            for (int ch = c0; ch < c1; ch++)
            {
                float k = Shift(ch);
                double shift = Mean[ch] / count;
                Mean[ch] = k + shift;
                Variance[ch] = Math.Max(0, Variance[ch] / count - shift * shift);
            }
        }

        /// <summary>The value the channel's differences are taken from: its first (sample 0's).</summary>
        private readonly float Shift(int ch) => X[(long)ch * S];
    }

    [ThreadStatic] private static float[]? t_coefficients;

    /// <summary>Channels [c0, c1) of part p of <paramref name="parts"/> contiguous, balanced ranges of c channels.</summary>
    private static (int C0, int C1) ChannelsOf(int part, int parts, int c)
        => ((int)((long)c * part / parts), (int)((long)c * (part + 1) / parts));

    /// <summary>
    /// Sample item / Parts, channels of part item % Parts: y = x·scale + shift per row (then max(·, 0)), the arithmetic of
    /// <see cref="Elementwise.Affine"/> and <see cref="Elementwise.AffineRelu"/> (a product and a sum, not fused).
    /// </summary>
    private struct NormalizeBody : IParallelBody
    {
        public float* X, Y, Coefficients;
        public int C, S, Parts;
        public bool Relu;

        public readonly void Invoke(int item)
        {
            int n = item / Parts, part = item % Parts;
            var (c0, c1) = ChannelsOf(part, Parts, C);
            int w = Vector<float>.Count;
            for (int ch = c0; ch < c1; ch++)
            {
                long off = ((long)n * C + ch) * S;
                float* xr = X + off, yr = Y + off;
                float a = Coefficients[2 * ch], b = Coefficients[2 * ch + 1];
                var va = new Vector<float>(a); var vb = new Vector<float>(b);
                int j = 0;
                if (Relu)
                {
                    for (; j <= S - w; j += w) *(Vector<float>*)(yr + j) = Vector.Max(*(Vector<float>*)(xr + j) * va + vb, Vector<float>.Zero);
                    for (; j < S; j++) yr[j] = Elementwise.ReluOf(a * xr[j] + b);
                }
                else
                {
                    for (; j <= S - w; j += w) *(Vector<float>*)(yr + j) = *(Vector<float>*)(xr + j) * va + vb;
                    for (; j < S; j++) yr[j] = a * xr[j] + b;
                }
            }
        }
    }

    [ThreadStatic] private static double[]? t_sums;

    /// <summary>
    /// Part p of the channels (a contiguous range): per channel Σ dy and Σ dy·x̂ (dy masked by the fused ReLU's output
    /// when there is one), each row summed in double (8 lanes widened to two 4-lane accumulators, then the tail) and the
    /// rows added in sample order; walked sample by sample so that the part's rows are read in memory order.
    /// </summary>
    private struct BackwardSumsBody : IParallelBody
    {
        /// <summary>Mask: the fused ReLU's output (dy counts only where it is &gt; 0), or null.</summary>
        public float* X, Dy, Mask, Mean, Invstd;
        /// <summary>[2·ch]: Σ dy, [2·ch + 1]: Σ dy·x̂.</summary>
        public double* Sums;
        public int N, C, S, Parts;

        public readonly void Invoke(int part)
        {
            var (c0, c1) = ChannelsOf(part, Parts, C);
            int w = Vector<float>.Count;
            for (int ch = c0; ch < c1; ch++) Sums[2 * ch] = Sums[2 * ch + 1] = 0;
            for (int i = 0; i < N; i++)
            for (int ch = c0; ch < c1; ch++)
            {
                long off = ((long)i * C + ch) * S;
                float* xr = X + off, dyr = Dy + off, mr = Mask == null ? null : Mask + off;
                float mu = Mean[ch], istd = Invstd[ch];
                var vmu = new Vector<float>(mu); var vistd = new Vector<float>(istd);
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
                Sums[2 * ch] += rowDy;
                Sums[2 * ch + 1] += rowDyXhat;
            }
        }
    }

    /// <summary>Sample item / Parts, channels of part item % Parts: dx = a·dy + b·x̂ + c per row (dy masked as in the sums).</summary>
    private struct BackwardDxBody : IParallelBody
    {
        public float* X, Dy, Mask, Mean, Invstd, Dx;
        /// <summary>[3·ch]: a, [3·ch + 1]: b, [3·ch + 2]: c.</summary>
        public float* Coefficients;
        public int C, S, Parts;

        public readonly void Invoke(int item)
        {
            int n = item / Parts, part = item % Parts;
            var (c0, c1) = ChannelsOf(part, Parts, C);
            int w = Vector<float>.Count;
            for (int ch = c0; ch < c1; ch++)
            {
                long off = ((long)n * C + ch) * S;
                float* xr = X + off, dyr = Dy + off, dxr = Dx + off, mr = Mask == null ? null : Mask + off;
                float mu = Mean[ch], istd = Invstd[ch], a = Coefficients[3 * ch], b = Coefficients[3 * ch + 1], c0f = Coefficients[3 * ch + 2];
                var vmu = new Vector<float>(mu); var vistd = new Vector<float>(istd);
                var va = new Vector<float>(a); var vb = new Vector<float>(b); var vc = new Vector<float>(c0f);
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
                    dxr[j] = a * d + b * xhat + c0f;
                }
            }
        }
    }
}
