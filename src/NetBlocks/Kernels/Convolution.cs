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
/// </summary>
public static unsafe class Convolution
{
    /// <summary>y = conv(x, w) + bias. y is overwritten.</summary>
    public static void Forward(float[] x, int xOff, float[] w, float[]? bias, int biasOff, float[] y, int yOff, ConvGeometry g)
    {
        int patch = g.PatchSize, plane = g.OutPlane, cg = g.CinPerGroup, og = g.CoutPerGroup;
        float[]? cols = g.IsPointwise ? null : Tensors.TensorPool.Rent(patch * plane);
        try
        {
            fixed (float* px = x, pw = w, py = y)
            fixed (float* pc = cols)
            {
                for (int n = 0; n < g.N; n++)
                for (int gi = 0; gi < g.Groups; gi++)
                {
                    float* xs = px + xOff + ((long)n * g.C + gi * cg) * g.H * g.W;
                    float* ys = py + yOff + ((long)n * g.OC + gi * og) * plane;
                    float* b = xs;
                    if (cols is not null)
                    {
                        Im2Col.Unfold(new ReadOnlySpan<float>(xs, cg * g.H * g.W), cg, g.H, g.W, g.KH, g.KW, g.Stride, g.Padding, g.OH, g.OW, cols);
                        b = pc;
                    }
                    Gemm.Sgemm(false, false, og, plane, patch, 1f, pw + (long)gi * og * patch, patch, b, plane, 0f, ys, plane);
                }
            }
            if (bias is not null)
            {
                for (int n = 0; n < g.N; n++)
                for (int oc = 0; oc < g.OC; oc++)
                {
                    var row = y.AsSpan(yOff + (n * g.OC + oc) * plane, plane);
                    float b = bias[biasOff + oc];
                    Elementwise.Affine(row, 1f, b, row);
                }
            }
        }
        finally
        {
            if (cols is not null) Tensors.TensorPool.Return(cols);
        }
    }

    /// <summary>dx = ∂L/∂x given dy: per group dcols = Wᵀ · dy, folded back with col2im. dx is overwritten.</summary>
    public static void BackwardData(float[] dy, int dyOff, float[] w, float[] dx, int dxOff, ConvGeometry g)
    {
        int patch = g.PatchSize, plane = g.OutPlane, cg = g.CinPerGroup, og = g.CoutPerGroup;
        float[]? cols = g.IsPointwise ? null : Tensors.TensorPool.Rent(patch * plane);
        try
        {
            fixed (float* pdy = dy, pw = w, pdx = dx)
            fixed (float* pc = cols)
            {
                for (int n = 0; n < g.N; n++)
                for (int gi = 0; gi < g.Groups; gi++)
                {
                    float* dys = pdy + dyOff + ((long)n * g.OC + gi * og) * plane;
                    float* dxs = pdx + dxOff + ((long)n * g.C + gi * cg) * g.H * g.W;
                    if (cols is null)
                    {
                        Gemm.Sgemm(true, false, patch, plane, og, 1f, pw + (long)gi * og * patch, patch, dys, plane, 0f, dxs, plane);
                        continue;
                    }
                    Gemm.Sgemm(true, false, patch, plane, og, 1f, pw + (long)gi * og * patch, patch, dys, plane, 0f, pc, plane);
                    var dxSpan = new Span<float>(dxs, cg * g.H * g.W);
                    dxSpan.Clear();
                    Im2Col.FoldAdd(cols, cg, g.H, g.W, g.KH, g.KW, g.Stride, g.Padding, g.OH, g.OW, dxSpan);
                }
            }
        }
        finally
        {
            if (cols is not null) Tensors.TensorPool.Return(cols);
        }
    }

    /// <summary>dw = Σₙ dy[n] · cols(x[n])ᵀ per group, db = Σ dy over n, h, w. Both overwritten (db may be null).</summary>
    public static void BackwardWeight(float[] dy, int dyOff, float[] x, int xOff, float[] dw, float[]? db, ConvGeometry g)
    {
        int patch = g.PatchSize, plane = g.OutPlane, cg = g.CinPerGroup, og = g.CoutPerGroup;
        float[]? cols = g.IsPointwise ? null : Tensors.TensorPool.Rent(patch * plane);
        try
        {
            fixed (float* pdy = dy, px = x, pdw = dw)
            fixed (float* pc = cols)
            {
                for (int n = 0; n < g.N; n++)
                for (int gi = 0; gi < g.Groups; gi++)
                {
                    float* xs = px + xOff + ((long)n * g.C + gi * cg) * g.H * g.W;
                    float* dys = pdy + dyOff + ((long)n * g.OC + gi * og) * plane;
                    float* b = xs;
                    if (cols is not null)
                    {
                        Im2Col.Unfold(new ReadOnlySpan<float>(xs, cg * g.H * g.W), cg, g.H, g.W, g.KH, g.KW, g.Stride, g.Padding, g.OH, g.OW, cols);
                        b = pc;
                    }
                    Gemm.Sgemm(false, true, og, patch, plane, 1f, dys, plane, b, plane, n == 0 ? 0f : 1f, pdw + (long)gi * og * patch, patch);
                }
            }
            if (db is not null)
            {
                for (int oc = 0; oc < g.OC; oc++)
                {
                    double s = 0;
                    for (int n = 0; n < g.N; n++) s += Elementwise.Sum(dy.AsSpan(dyOff + (n * g.OC + oc) * plane, plane));
                    db[oc] = (float)s;
                }
            }
        }
        finally
        {
            if (cols is not null) Tensors.TensorPool.Return(cols);
        }
    }
}
