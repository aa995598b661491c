namespace NetBlocks.Kernels;

/// <summary>Shapes of a 2-D convolution: x (N, C, H, W), w (OC, C/groups, KH, KW), y (N, OC, OH, OW).</summary>
public readonly record struct ConvGeometry(int N, int C, int H, int W, int OC, int KH, int KW, int Stride, int Padding, int Groups)
{
    public int OH => (H + 2 * Padding - KH) / Stride + 1;
    public int OW => (W + 2 * Padding - KW) / Stride + 1;
    public int CinPerGroup => C / Groups;
    public int CoutPerGroup => OC / Groups;
    /// <summary>Rows of the column matrix of one group: C/groups · KH · KW.</summary>
    public int PatchSize => CinPerGroup * KH * KW;
    public int OutPlane => OH * OW;
    /// <summary>1×1, stride 1, no padding: the input already is the column matrix.</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && Stride == 1 && Padding == 0;
}

/// <summary>
/// Convolution as im2col + GEMM, per sample and per group (1×1 convolutions skip im2col).
/// Forward: y[n, g] = W[g] (OC/g × C/g·K²) · cols(x[n, g]) (C/g·K² × OH·OW) + b.
/// <para>
/// Parallelism: when the batch has at least as many samples as threads, the samples are split over the threads, each
/// running single-threaded GEMMs on its own im2col buffer. That keeps every core busy on the small per-sample GEMMs
/// (a few channels × one image plane) that do not split well, and parallelises im2col/col2im and the bias for free.
/// dW is summed per chunk of samples and the chunk sums are added in chunk order, so for a given thread count the
/// result is the same bit for bit on every run. A batch smaller than the thread count runs sample by sample with the
/// GEMMs themselves split over the threads.
/// </para>
/// </summary>
public static unsafe class Convolution
{
    /// <summary>y = conv(x, w) + bias. y is overwritten.</summary>
    public static void Forward(float[] x, int xOff, float[] w, float[]? bias, int biasOff, float[] y, int yOff, ConvGeometry g)
        => Forward(x, xOff, w, bias, biasOff, y, yOff, g, Threading.Threads);

    /// <summary>dx = ∂L/∂x given dy: per group dcols = Wᵀ · dy, folded back with col2im. dx is overwritten.</summary>
    public static void BackwardData(float[] dy, int dyOff, float[] w, float[] dx, int dxOff, ConvGeometry g)
        => BackwardData(dy, dyOff, w, dx, dxOff, g, Threading.Threads);

    /// <summary>dw = Σₙ dy[n] · cols(x[n])ᵀ per group, db = Σ dy over n, h, w. Both overwritten (db may be null).</summary>
    public static void BackwardWeight(float[] dy, int dyOff, float[] x, int xOff, float[] dw, float[]? db, ConvGeometry g)
        => BackwardWeight(dy, dyOff, x, xOff, dw, db, g, Threading.Threads);

    /// <summary>Whether the batch is split over the threads (else the GEMMs are).</summary>
    internal static bool SplitsBatch(ConvGeometry g, int threads) => threads > 1 && g.N >= threads;

    internal static void Forward(float[] x, int xOff, float[] w, float[]? bias, int biasOff, float[] y, int yOff, ConvGeometry g, int threads)
    {
        fixed (float* px = x, pw = w, py = y, pb = bias)
        {
            var body = new ForwardBody
            {
                X = px + xOff, W = pw, Bias = pb == null ? null : pb + biasOff, Y = py + yOff, G = g,
                GemmThreads = SplitsBatch(g, threads) ? 1 : threads,
            };
            if (SplitsBatch(g, threads)) Threading.For(g.N, ref body, threads);
            else for (int n = 0; n < g.N; n++) body.Invoke(n);
        }
    }

    internal static void BackwardData(float[] dy, int dyOff, float[] w, float[] dx, int dxOff, ConvGeometry g, int threads)
    {
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            var body = new BackwardDataBody
            {
                Dy = pdy + dyOff, W = pw, Dx = pdx + dxOff, G = g,
                GemmThreads = SplitsBatch(g, threads) ? 1 : threads,
            };
            if (SplitsBatch(g, threads)) Threading.For(g.N, ref body, threads);
            else for (int n = 0; n < g.N; n++) body.Invoke(n);
        }
    }

    internal static void BackwardWeight(float[] dy, int dyOff, float[] x, int xOff, float[] dw, float[]? db, ConvGeometry g, int threads)
    {
        int wsize = g.OC * g.PatchSize;
        int chunks = SplitsBatch(g, threads) ? threads : 1;
        // chunk 0 sums into dw, the others into their own slice of one pooled buffer; added in chunk order below
        float[]? partial = chunks > 1 ? Tensors.TensorPool.Rent((chunks - 1) * wsize) : null;
        try
        {
            fixed (float* pdy = dy, px = x, pdw = dw, ppart = partial)
            {
                var body = new BackwardWeightBody
                {
                    Dy = pdy + dyOff, X = px + xOff, Dw = pdw, Partial = ppart, G = g, Chunks = chunks,
                    GemmThreads = chunks > 1 ? 1 : threads,
                };
                if (chunks > 1) Threading.For(chunks, ref body, threads);
                else body.Invoke(0);
                for (int c = 1; c < chunks; c++)
                    Elementwise.AddInPlace(new Span<float>(pdw, wsize), new ReadOnlySpan<float>(ppart + (long)(c - 1) * wsize, wsize));

                if (db is not null)
                {
                    fixed (float* pdb = db)
                    {
                        var bias = new BiasGradBody { Dy = pdy + dyOff, Db = pdb, G = g };
                        if (threads > 1 && g.OC >= threads) Threading.For(g.OC, ref bias, threads);
                        else for (int oc = 0; oc < g.OC; oc++) bias.Invoke(oc);
                    }
                }
            }
        }
        finally
        {
            if (partial is not null) Tensors.TensorPool.Return(partial);
        }
    }

    [ThreadStatic] private static float[]? t_cols;

    /// <summary>
    /// This thread's im2col buffer, at least <paramref name="length"/> floats (grown, never shrunk). Per thread rather than
    /// from the pool: which thread runs which sample varies, and renting per sample would make the pool's size depend
    /// on that timing.
    /// </summary>
    private static float[] Scratch(int length)
    {
        var cols = t_cols;
        if (cols is null || cols.Length < length) t_cols = cols = GC.AllocateUninitializedArray<float>(length);
        return cols;
    }

    /// <summary>Inside a batch split: 1. Otherwise the threads the GEMM's size is worth (small ones stay on one).</summary>
    private static int GemmThreadsFor(int threads, int m, int n, int k) => threads == 1 ? 1 : Math.Min(threads, Gemm.ThreadsFor(m, n, k));

    /// <summary>y[n] = W · cols(x[n]) + b for one sample n (every group).</summary>
    private struct ForwardBody : IParallelBody
    {
        public float* X, W, Bias, Y;
        public ConvGeometry G;
        public int GemmThreads;

        public readonly void Invoke(int n)
        {
            var g = G;
            int patch = g.PatchSize, plane = g.OutPlane, cg = g.CinPerGroup, og = g.CoutPerGroup;
            float[]? cols = g.IsPointwise ? null : Scratch(patch * plane);
            fixed (float* pc = cols)
            {
                for (int gi = 0; gi < g.Groups; gi++)
                {
                    float* xs = X + ((long)n * g.C + gi * cg) * g.H * g.W;
                    float* ys = Y + ((long)n * g.OC + gi * og) * plane;
                    float* b = xs;
                    if (cols is not null)
                    {
                        Im2Col.Unfold(new ReadOnlySpan<float>(xs, cg * g.H * g.W), cg, g.H, g.W, g.KH, g.KW, g.Stride, g.Padding, g.OH, g.OW, cols);
                        b = pc;
                    }
                    Gemm.Sgemm(Gemm.ForcedPath, GemmThreadsFor(GemmThreads, og, plane, patch), false, false, og, plane, patch, 1f, W + (long)gi * og * patch, patch, b, plane, 0f, ys, plane);
                }
            }
            if (Bias != null)
            {
                for (int oc = 0; oc < g.OC; oc++)
                {
                    var row = new Span<float>(Y + ((long)n * g.OC + oc) * plane, plane);
                    Elementwise.Affine(row, 1f, Bias[oc], row);
                }
            }
        }
    }

    /// <summary>dx[n] = col2im(Wᵀ · dy[n]) for one sample n (every group).</summary>
    private struct BackwardDataBody : IParallelBody
    {
        public float* Dy, W, Dx;
        public ConvGeometry G;
        public int GemmThreads;

        public readonly void Invoke(int n)
        {
            var g = G;
            int patch = g.PatchSize, plane = g.OutPlane, cg = g.CinPerGroup, og = g.CoutPerGroup;
            float[]? cols = g.IsPointwise ? null : Scratch(patch * plane);
            fixed (float* pc = cols)
            {
                for (int gi = 0; gi < g.Groups; gi++)
                {
                    float* dys = Dy + ((long)n * g.OC + gi * og) * plane;
                    float* dxs = Dx + ((long)n * g.C + gi * cg) * g.H * g.W;
                    if (cols is null)
                    {
                        Gemm.Sgemm(Gemm.ForcedPath, GemmThreadsFor(GemmThreads, patch, plane, og), true, false, patch, plane, og, 1f, W + (long)gi * og * patch, patch, dys, plane, 0f, dxs, plane);
                        continue;
                    }
                    Gemm.Sgemm(Gemm.ForcedPath, GemmThreadsFor(GemmThreads, patch, plane, og), true, false, patch, plane, og, 1f, W + (long)gi * og * patch, patch, dys, plane, 0f, pc, plane);
                    var dxSpan = new Span<float>(dxs, cg * g.H * g.W);
                    dxSpan.Clear();
                    Im2Col.FoldAdd(cols, cg, g.H, g.W, g.KH, g.KW, g.Stride, g.Padding, g.OH, g.OW, dxSpan);
                }
            }
        }
    }

    /// <summary>Chunk c of the batch: its samples' Σ dy[n] · cols(x[n])ᵀ into dw (chunk 0) or its partial slice.</summary>
    private struct BackwardWeightBody : IParallelBody
    {
        public float* Dy, X, Dw, Partial;
        public ConvGeometry G;
        public int Chunks, GemmThreads;

        public readonly void Invoke(int chunk)
        {
            var g = G;
            int patch = g.PatchSize, plane = g.OutPlane, cg = g.CinPerGroup, og = g.CoutPerGroup;
            int n0 = (int)((long)g.N * chunk / Chunks), n1 = (int)((long)g.N * (chunk + 1) / Chunks);
            float* acc = chunk == 0 ? Dw : Partial + (long)(chunk - 1) * g.OC * patch;
            if (n1 <= n0)
            {
                new Span<float>(acc, g.OC * patch).Clear();
                return;
            }
            float[]? cols = g.IsPointwise ? null : Scratch(patch * plane);
            fixed (float* pc = cols)
            {
                for (int n = n0; n < n1; n++)
                for (int gi = 0; gi < g.Groups; gi++)
                {
                    float* xs = X + ((long)n * g.C + gi * cg) * g.H * g.W;
                    float* dys = Dy + ((long)n * g.OC + gi * og) * plane;
                    float* b = xs;
                    if (cols is not null)
                    {
                        Im2Col.Unfold(new ReadOnlySpan<float>(xs, cg * g.H * g.W), cg, g.H, g.W, g.KH, g.KW, g.Stride, g.Padding, g.OH, g.OW, cols);
                        b = pc;
                    }
                    Gemm.Sgemm(Gemm.ForcedPath, GemmThreadsFor(GemmThreads, og, patch, plane), false, true, og, patch, plane, 1f, dys, plane, b, plane, n == n0 ? 0f : 1f,
                        acc + (long)gi * og * patch, patch);
                }
            }
        }
    }

    /// <summary>db[oc] = Σ over n, h, w of dy[n, oc], in double, sample by sample.</summary>
    private struct BiasGradBody : IParallelBody
    {
        public float* Dy, Db;
        public ConvGeometry G;

        public readonly void Invoke(int oc)
        {
            int plane = G.OutPlane;
            double s = 0;
            for (int n = 0; n < G.N; n++) s += Elementwise.Sum(new ReadOnlySpan<float>(Dy + ((long)n * G.OC + oc) * plane, plane));
            Db[oc] = (float)s;
        }
    }
}
