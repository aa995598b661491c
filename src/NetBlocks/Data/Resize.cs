namespace NetBlocks.Data;

/// <summary>Which bilinear resize an <see cref="ImageTransform"/> uses.</summary>
public enum ResizeMode
{
    /// <summary>
    /// d2l's path: <c>transforms.Resize</c> on a PIL 'L' image then <c>ToTensor</c>, i.e. Pillow's bilinear resampling
    /// of the uint8 image (antialiased when shrinking, fixed point, rounded back to uint8), then /255.
    /// Bit-exact with torchvision 0.14 + Pillow 9.4. The default, because it is what the seed trains on.
    /// </summary>
    Pil,

    /// <summary>
    /// <c>F.interpolate(x, size, mode="bilinear", align_corners=False)</c> on the float image x = uint8/255, as
    /// <c>transforms.Resize</c> does on a float tensor (antialias off). Matches PyTorch within 1e-6.
    /// </summary>
    Bilinear,
}

/// <summary>
/// Pillow's bilinear resize of an 8-bit grayscale image from <c>InHeight×InWidth</c> to <c>OutHeight×OutWidth</c>,
/// with its coefficient tables computed once (Pillow recomputes them per call). Formula, per axis (Pillow's
/// <c>precompute_coeffs</c>): scale = in/out, fs = max(scale, 1), support = fs; output i takes inputs
/// [round(c − support), round(c + support)) around c = (i + ½)·scale with weights tri((j − c + ½)/fs), normalised to
/// sum 1 and rounded to 22-bit integers. The horizontal pass runs first and rounds to uint8
/// (<c>(Σ p·k + 2²¹) &gt;&gt; 22</c>, clamped), then the vertical pass does the same on its output.
/// Instances are immutable and thread-safe.
/// </summary>
public sealed class PilResize
{
    private const int PrecisionBits = 32 - 8 - 2;

    private readonly AxisTable _x, _y;

    public PilResize(int inHeight, int inWidth, int outHeight, int outWidth)
    {
        if (inHeight <= 0 || inWidth <= 0 || outHeight <= 0 || outWidth <= 0)
            throw new ArgumentException($"cannot resize {inHeight}×{inWidth} to {outHeight}×{outWidth}: sizes must be positive");
        (InHeight, InWidth, OutHeight, OutWidth) = (inHeight, inWidth, outHeight, outWidth);
        _x = AxisTable.Create(inWidth, outWidth);
        _y = AxisTable.Create(inHeight, outHeight);
    }

    public int InHeight { get; }
    public int InWidth { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }

    /// <summary>Bytes of scratch <see cref="Apply(ReadOnlySpan{byte}, Span{float}, ReadOnlySpan{float}, Span{byte})"/> needs.</summary>
    public int ScratchSize => InHeight * OutWidth;

    /// <summary>Resizes <paramref name="src"/> (InHeight×InWidth) into <paramref name="dst"/> (OutHeight×OutWidth), exactly as Pillow.</summary>
    public void Apply(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        CheckSizes(src.Length, dst.Length);
        var scratch = _x.Identity ? [] : new byte[ScratchSize];
        ReadOnlySpan<byte> rows = Horizontal(src, scratch);
        if (_y.Identity) { rows.CopyTo(dst); return; }
        for (int yy = 0; yy < OutHeight; yy++)
        {
            var k = _y.Coeffs.AsSpan(yy * _y.Taps, _y.Taps);
            int start = _y.Start[yy];
            var d = dst.Slice(yy * OutWidth, OutWidth);
            for (int x = 0; x < OutWidth; x++)
            {
                int acc = 1 << (PrecisionBits - 1);
                for (int i = 0; i < k.Length; i++) acc += rows[(start + i) * OutWidth + x] * k[i];
                d[x] = Clip8(acc);
            }
        }
    }

    /// <summary>
    /// Resizes and maps every resulting byte v to <c>lut[v]</c> (e.g. v/255, or (v/255 − mean)/std) in one pass.
    /// <paramref name="scratch"/> needs <see cref="ScratchSize"/> bytes.
    /// </summary>
    public void Apply(ReadOnlySpan<byte> src, Span<float> dst, ReadOnlySpan<float> lut, Span<byte> scratch)
    {
        CheckSizes(src.Length, dst.Length);
        if (lut.Length < 256) throw new ArgumentException($"lookup table needs 256 entries, got {lut.Length}", nameof(lut));
        ReadOnlySpan<byte> rows = Horizontal(src, scratch);
        lut = lut[..256];
        if (_y.Identity)
        {
            for (int i = 0; i < dst.Length; i++) dst[i] = lut[rows[i]];
            return;
        }
        int taps = _y.Taps;
        int w = OutWidth;
        for (int yy = 0; yy < OutHeight; yy++)
        {
            var d = dst.Slice(yy * w, w);
            var k = _y.Coeffs.AsSpan(yy * taps, taps);
            var r0 = rows.Slice(_y.Start[yy] * w, taps * w);
            // Upsampling has 2–3 taps; unrolling the common cases keeps the loop branch-free.
            if (taps == 3)
            {
                int k0 = k[0], k1 = k[1], k2 = k[2];
                var a = r0[..w]; var b = r0.Slice(w, w); var c = r0.Slice(2 * w, w);
                for (int x = 0; x < w; x++)
                    d[x] = lut[Clip8((1 << (PrecisionBits - 1)) + a[x] * k0 + b[x] * k1 + c[x] * k2)];
            }
            else if (taps == 2)
            {
                int k0 = k[0], k1 = k[1];
                var a = r0[..w]; var b = r0.Slice(w, w);
                for (int x = 0; x < w; x++)
                    d[x] = lut[Clip8((1 << (PrecisionBits - 1)) + a[x] * k0 + b[x] * k1)];
            }
            else
            {
                for (int x = 0; x < w; x++)
                {
                    int acc = 1 << (PrecisionBits - 1);
                    for (int i = 0; i < taps; i++) acc += r0[i * w + x] * k[i];
                    d[x] = lut[Clip8(acc)];
                }
            }
        }
    }

    /// <summary>The horizontal pass into <paramref name="scratch"/> (InHeight×OutWidth), or the source itself when widths match.</summary>
    private ReadOnlySpan<byte> Horizontal(ReadOnlySpan<byte> src, Span<byte> scratch)
    {
        if (_x.Identity) return src;
        if (scratch.Length < ScratchSize) throw new ArgumentException($"scratch needs {ScratchSize} bytes, got {scratch.Length}", nameof(scratch));
        int taps = _x.Taps;
        for (int y = 0; y < InHeight; y++)
        {
            var row = src.Slice(y * InWidth, InWidth);
            var o = scratch.Slice(y * OutWidth, OutWidth);
            for (int xx = 0; xx < OutWidth; xx++)
            {
                var k = _x.Coeffs.AsSpan(xx * taps, taps);
                var p = row.Slice(_x.Start[xx], taps);
                int acc = 1 << (PrecisionBits - 1);
                for (int i = 0; i < k.Length; i++) acc += p[i] * k[i];
                o[xx] = Clip8(acc);
            }
        }
        return scratch[..ScratchSize];
    }

    private static byte Clip8(int acc)
    {
        int v = acc >> PrecisionBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    private void CheckSizes(int src, int dst)
    {
        if (src != InHeight * InWidth) throw new ArgumentException($"source has {src} pixels, expected {InHeight}×{InWidth}");
        if (dst != OutHeight * OutWidth) throw new ArgumentException($"destination has {dst} pixels, expected {OutHeight}×{OutWidth}");
    }

    /// <summary>
    /// Coefficients of one axis: output i reads inputs [Start[i], Start[i] + Taps), weights Coeffs[i*Taps ..].
    /// Every output has the same number of taps (zero-weighted where Pillow's window is shorter, shifted left at
    /// the far edge so no read runs past the row); adding zero terms changes no integer sum.
    /// </summary>
    private sealed class AxisTable
    {
        public required bool Identity;
        public required int Taps;
        public required int[] Start;
        public required int[] Coeffs;

        public static AxisTable Create(int inSize, int outSize)
        {
            if (inSize == outSize)
                return new AxisTable { Identity = true, Taps = 1, Start = [], Coeffs = [] };
            // Pillow: precompute_coeffs (bilinear filter, support 1) followed by normalize_coeffs_8bpc.
            double scale = (double)(float)inSize / outSize;
            double filterscale = scale < 1.0 ? 1.0 : scale;
            double support = 1.0 * filterscale;
            int ksize = (int)Math.Ceiling(support) * 2 + 1;
            int taps = Math.Min(ksize, inSize);
            var start = new int[outSize];
            var coeffs = new int[outSize * taps];
            var w = new double[ksize];
            for (int xx = 0; xx < outSize; xx++)
            {
                double center = 0.0 + (xx + 0.5) * scale;
                double ss = 1.0 / filterscale;
                int xmin = (int)(center - support + 0.5);
                if (xmin < 0) xmin = 0;
                int xmax = (int)(center + support + 0.5);
                if (xmax > inSize) xmax = inSize;
                xmax -= xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++)
                {
                    w[x] = Bilinear((x + xmin - center + 0.5) * ss);
                    ww += w[x];
                }
                int first = Math.Min(xmin, inSize - taps);
                start[xx] = first;
                for (int x = 0; x < xmax; x++)
                {
                    double k = ww != 0.0 ? w[x] / ww : w[x];
                    coeffs[xx * taps + (xmin - first) + x] =
                        k < 0 ? (int)(-0.5 + k * (1 << PrecisionBits)) : (int)(0.5 + k * (1 << PrecisionBits));
                }
            }
            return new AxisTable { Identity = false, Taps = taps, Start = start, Coeffs = coeffs };
        }

        private static double Bilinear(double x)
        {
            if (x < 0.0) x = -x;
            return x < 1.0 ? 1.0 - x : 0.0;
        }
    }
}

/// <summary>
/// PyTorch's bilinear interpolation with <c>align_corners=False</c> (<c>F.interpolate(mode="bilinear")</c>) of a float
/// image: output (i, j) samples the input at (s_h·(i + ½) − ½, s_w·(j + ½) − ½), s = in/out (float32), clamped
/// below at 0, weighted between the two neighbours (the second clamped to the last row/column):
/// <c>out = λh0·(λw0·x00 + λw1·x01) + λh1·(λw0·x10 + λw1·x11)</c>. No antialiasing when shrinking.
/// Instances are immutable and thread-safe.
/// </summary>
public sealed class BilinearResize
{
    private readonly int[] _y0, _y1, _x0, _x1;
    private readonly float[] _ly0, _ly1, _lx0, _lx1;

    public BilinearResize(int inHeight, int inWidth, int outHeight, int outWidth)
    {
        if (inHeight <= 0 || inWidth <= 0 || outHeight <= 0 || outWidth <= 0)
            throw new ArgumentException($"cannot resize {inHeight}×{inWidth} to {outHeight}×{outWidth}: sizes must be positive");
        (InHeight, InWidth, OutHeight, OutWidth) = (inHeight, inWidth, outHeight, outWidth);
        (_y0, _y1, _ly0, _ly1) = Axis(inHeight, outHeight);
        (_x0, _x1, _lx0, _lx1) = Axis(inWidth, outWidth);
    }

    public int InHeight { get; }
    public int InWidth { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }

    /// <summary>Resizes <paramref name="src"/> (InHeight×InWidth) into <paramref name="dst"/> (OutHeight×OutWidth).</summary>
    public void Apply(ReadOnlySpan<float> src, Span<float> dst)
    {
        if (src.Length != InHeight * InWidth) throw new ArgumentException($"source has {src.Length} pixels, expected {InHeight}×{InWidth}");
        if (dst.Length != OutHeight * OutWidth) throw new ArgumentException($"destination has {dst.Length} pixels, expected {OutHeight}×{OutWidth}");
        for (int i = 0; i < OutHeight; i++)
        {
            var r0 = src.Slice(_y0[i] * InWidth, InWidth);
            var r1 = src.Slice(_y1[i] * InWidth, InWidth);
            float h0 = _ly0[i], h1 = _ly1[i];
            var d = dst.Slice(i * OutWidth, OutWidth);
            for (int j = 0; j < OutWidth; j++)
            {
                int a = _x0[j], b = _x1[j];
                float w0 = _lx0[j], w1 = _lx1[j];
                d[j] = h0 * (w0 * r0[a] + w1 * r0[b]) + h1 * (w0 * r1[a] + w1 * r1[b]);
            }
        }
    }

    // PyTorch: area_pixel_compute_scale / area_pixel_compute_source_index / compute_source_index_and_lambda (float math).
    private static (int[] I0, int[] I1, float[] L0, float[] L1) Axis(int inSize, int outSize)
    {
        var i0 = new int[outSize];
        var i1 = new int[outSize];
        var l0 = new float[outSize];
        var l1 = new float[outSize];
        float scale = (float)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            if (inSize == outSize)
            {
                (i0[o], i1[o], l0[o], l1[o]) = (o, o, 1f, 0f);
                continue;
            }
            float real = scale * (o + 0.5f) - 0.5f;
            if (real < 0f) real = 0f;
            int idx = (int)real;
            i0[o] = idx;
            i1[o] = idx + (idx < inSize - 1 ? 1 : 0);
            l1[o] = real - idx;
            l0[o] = 1f - l1[o];
        }
        return (i0, i1, l0, l1);
    }
}
