namespace NetBlocks.Kernels;

/// <summary>
/// Unfolds an image into the column matrix that turns convolution into a GEMM, and folds it back.
/// x is (C, H, W); cols is (C·KH·KW, OH·OW) with cols[(c·KH + kh)·KW + kw, oh·OW + ow] = x[c, oh·s − p + kh, ow·s − p + kw] (0 outside).
/// </summary>
public static class Im2Col
{
    public static void Unfold(ReadOnlySpan<float> x, int channels, int height, int width, int kh, int kw,
        int stride, int padding, int outH, int outW, Span<float> cols)
        => Unfold(x, channels, height, width, kh, kw, stride, padding, outH, outW, cols, outH * outW);

    /// <summary>As <see cref="Unfold(ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, Span{float})"/> with the rows of cols <paramref name="ld"/> floats apart (several samples side by side).</summary>
    public static void Unfold(ReadOnlySpan<float> x, int channels, int height, int width, int kh, int kw,
        int stride, int padding, int outH, int outW, Span<float> cols, int ld)
    {
        Check("im2col", x.Length, cols.Length, channels, height, width, kh, kw, stride, padding, outH, outW, ld);
        int plane = outH * outW;
        for (int c = 0; c < channels; c++)
        {
            var xc = x.Slice(c * height * width, height * width);
            for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
            {
                var row = cols.Slice(((c * kh + ky) * kw + kx) * ld, plane);
                for (int oy = 0; oy < outH; oy++)
                {
                    int iy = oy * stride - padding + ky;
                    var dst = row.Slice(oy * outW, outW);
                    if ((uint)iy >= (uint)height) { dst.Clear(); continue; }
                    var src = xc.Slice(iy * width, width);
                    int ix0 = -padding + kx;
                    if (stride == 1)
                    {
                        // contiguous run: copy the in-range middle, zero the padded edges
                        int lo = Math.Max(0, -ix0), hi = Math.Min(outW, width - ix0);
                        if (hi <= lo) { dst.Clear(); continue; }
                        dst.Slice(0, lo).Clear();
                        src.Slice(ix0 + lo, hi - lo).CopyTo(dst.Slice(lo));
                        dst.Slice(hi).Clear();
                    }
                    else
                    {
                        // columns ox in [lo, hi) read inside the row (ix = ix0 + ox·stride); the rest are padding
                        int lo = Math.Min(outW, ix0 >= 0 ? 0 : (-ix0 + stride - 1) / stride);
                        int hi = Math.Max(lo, Math.Min(outW, width - ix0 <= 0 ? 0 : (width - ix0 + stride - 1) / stride));
                        dst.Slice(0, lo).Clear();
                        for (int ox = lo, ix = ix0 + lo * stride; ox < hi; ox++, ix += stride) dst[ox] = src[ix];
                        dst.Slice(hi).Clear();
                    }
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Unfold"/>: dx[c, iy, ix] += Σ cols over every window position that reads it.</summary>
    public static void FoldAdd(ReadOnlySpan<float> cols, int channels, int height, int width, int kh, int kw,
        int stride, int padding, int outH, int outW, Span<float> dx)
        => FoldAdd(cols, channels, height, width, kh, kw, stride, padding, outH, outW, dx, outH * outW);

    /// <summary>As <see cref="FoldAdd(ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, Span{float})"/> with the rows of cols <paramref name="ld"/> floats apart.</summary>
    public static void FoldAdd(ReadOnlySpan<float> cols, int channels, int height, int width, int kh, int kw,
        int stride, int padding, int outH, int outW, Span<float> dx, int ld)
    {
        Check("col2im", dx.Length, cols.Length, channels, height, width, kh, kw, stride, padding, outH, outW, ld);
        int plane = outH * outW;
        for (int c = 0; c < channels; c++)
        {
            var dxc = dx.Slice(c * height * width, height * width);
            for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
            {
                var row = cols.Slice(((c * kh + ky) * kw + kx) * ld, plane);
                for (int oy = 0; oy < outH; oy++)
                {
                    int iy = oy * stride - padding + ky;
                    if ((uint)iy >= (uint)height) continue;
                    var src = row.Slice(oy * outW, outW);
                    var dst = dxc.Slice(iy * width, width);
                    int ix0 = -padding + kx;
                    if (stride == 1)
                    {
                        int lo = Math.Max(0, -ix0), hi = Math.Min(outW, width - ix0);
                        if (hi > lo) Elementwise.AddInPlace(dst.Slice(ix0 + lo, hi - lo), src.Slice(lo, hi - lo));
                    }
                    else
                    {
                        for (int ox = 0; ox < outW; ox++)
                        {
                            int ix = ix0 + ox * stride;
                            if ((uint)ix < (uint)width) dst[ix] += src[ox];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The entry check, once per call: sizes in range, rows of cols at least one output plane apart, the image holding
    /// C·H·W values and cols (C·KH·KW − 1)·ld + OH·OW, in checked 64-bit arithmetic.
    /// </summary>
    private static void Check(string op, int imageLength, int colsLength, int channels, int height, int width, int kh, int kw,
        int stride, int padding, int outH, int outW, int ld)
    {
        if (channels < 0 || height < 1 || width < 1 || kh < 1 || kw < 1 || stride < 1 || padding < 0 || outH < 0 || outW < 0)
            throw new ArgumentException($"{op}: invalid geometry (C={channels}, H={height}, W={width}, KH={kh}, KW={kw}, stride={stride}, padding={padding}, output {outH}×{outW})");
        long plane = Sizes.Multiply(outH, outW, "output plane", op);
        if (ld < plane) throw new ArgumentException($"{op}: rows of cols {ld} apart overlap the {outH}×{outW} output plane");
        Sizes.Region(op, "image", imageLength, 0, Sizes.Product([channels, height, width], "image", op));
        long rows = Sizes.Product([channels, kh, kw], "cols", op);
        Sizes.Region(op, "cols", colsLength, 0, rows == 0 ? 0 : Sizes.Multiply(rows - 1, ld, "cols", op) + plane);
    }
}
