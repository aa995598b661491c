using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NetBlocks.Kernels;

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
    /// <c>transforms.Resize</c> does on a float tensor (antialias off). Matches PyTorch within 1 ulp (≈1.2e-7 on [0, 1]).
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
    private const int PrecisionBits = ResampleAxis.PrecisionBits;

    private readonly ResampleAxis _x, _y;

    public PilResize(int inHeight, int inWidth, int outHeight, int outWidth)
    {
        if (inHeight <= 0 || inWidth <= 0 || outHeight <= 0 || outWidth <= 0)
            throw new ArgumentException($"cannot resize {inHeight}×{inWidth} to {outHeight}×{outWidth}: sizes must be positive");
        (InHeight, InWidth, OutHeight, OutWidth) = (inHeight, inWidth, outHeight, outWidth);
        _x = ResampleAxis.PillowBilinear(inWidth, outWidth);
        _y = ResampleAxis.PillowBilinear(inHeight, outHeight);
    }

    /// <summary>The vertical pass's taps (the engine's, which a backend's resize applies the same way).</summary>
    public ResampleAxis Rows => _y;

    /// <summary>The horizontal pass's taps.</summary>
    public ResampleAxis Columns => _x;

    public int InHeight { get; }
    public int InWidth { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }

    /// <summary>Bytes of scratch the float <c>Apply</c> needs.</summary>
    public int ScratchSize => InHeight * OutWidth;

    /// <summary>Resizes <paramref name="src"/> (InHeight×InWidth) into <paramref name="dst"/> (OutHeight×OutWidth), exactly as Pillow.</summary>
    public void Apply(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        CheckSizes(src.Length, dst.Length);
        var scratch = _x.IsIdentity ? [] : new byte[ScratchSize];
        ReadOnlySpan<byte> rows = Horizontal(src, scratch);
        if (_y.IsIdentity) { rows.CopyTo(dst); return; }
        for (int yy = 0; yy < OutHeight; yy++)
        {
            var k = _y.Coefficients.Slice(yy * _y.Taps, _y.Taps);
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
    /// <c>table[v] = (v/255 − mean)/std</c> in float32, exactly <c>Normalize(mean, std)(ToTensor()(img))</c> for a pixel v
    /// (mean 0, std 1: just ToTensor, since (x − 0)/1 = x).
    /// </summary>
    public static float[] ToTensorTable(float mean = 0f, float std = 1f)
    {
        var t = new float[256];
        for (int v = 0; v < 256; v++) t[v] = (v / 255f - mean) / std;
        return t;
    }

    /// <summary>
    /// Resizes and converts in one pass: every resulting byte v becomes <c>table[v]</c> (see <see cref="ToTensorTable"/>).
    /// <paramref name="scratch"/> needs <see cref="ScratchSize"/> bytes. The vertical pass, most of the work when
    /// upsampling, uses AVX2 when the CPU has it, with the same integer sums and table, so the same result bit for bit.
    /// </summary>
    public void Apply(ReadOnlySpan<byte> src, Span<float> dst, Span<byte> scratch, ReadOnlySpan<float> table)
        => Apply(src, dst, scratch, table, simd: true);

    internal void Apply(ReadOnlySpan<byte> src, Span<float> dst, Span<byte> scratch, ReadOnlySpan<float> table, bool simd)
    {
        CheckSizes(src.Length, dst.Length);
        if (table.Length != 256) throw new ArgumentException($"the table needs 256 entries, got {table.Length}", nameof(table));
        ReadOnlySpan<byte> rows = Horizontal(src, scratch);
        if (simd && Avx2.IsSupported) VerticalToFloatAvx2(rows, dst, table);
        else VerticalToFloat(rows, dst, table, 0);
    }

    /// <summary>dst[yy, x] = table[clip8(Σᵢ rows[start(yy)+i, x]·kᵢ)] for x ≥ <paramref name="fromX"/>: the scalar twin.</summary>
    private void VerticalToFloat(ReadOnlySpan<byte> rows, Span<float> dst, ReadOnlySpan<float> table, int fromX)
    {
        int taps = _y.Taps, w = OutWidth;
        for (int yy = 0; yy < OutHeight; yy++)
        {
            var k = _y.Coefficients.Slice(yy * taps, taps);
            int start = _y.Start[yy];
            var d = dst.Slice(yy * w, w);
            for (int x = fromX; x < w; x++)
            {
                int acc = 1 << (PrecisionBits - 1);
                for (int i = 0; i < taps; i++) acc += rows[(start + i) * w + x] * k[i];
                d[x] = table[Clip8(acc)];
            }
        }
    }

    /// <summary>
    /// The vertical pass eight outputs at a time: bytes widened to int32, multiply-add per tap, shift, clamp, then a
    /// gather from the table (two exact float divisions per vector cost twice as much as the gather).
    /// </summary>
    private unsafe void VerticalToFloatAvx2(ReadOnlySpan<byte> rows, Span<float> dst, ReadOnlySpan<float> table)
    {
        int taps = _y.Taps, w = OutWidth, w8 = w & ~7;
        var half = Vector256.Create(1 << (PrecisionBits - 1));
        var zero = Vector256<int>.Zero;
        var max = Vector256.Create(255);
        fixed (byte* r = rows)
        fixed (float* o = dst)
        fixed (float* lut = table)
        fixed (int* coeffs = _y.Coefficients)
        {
            for (int yy = 0; yy < OutHeight; yy++)
            {
                int* k = coeffs + yy * taps;
                byte* r0 = r + _y.Start[yy] * w;
                float* d = o + yy * w;
                for (int x = 0; x < w8; x += 8)
                {
                    var acc = half;
                    for (int i = 0; i < taps; i++)
                    {
                        var px = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(*(long*)(r0 + i * w + x)).AsByte());
                        acc = Avx2.Add(acc, Avx2.MultiplyLow(px, Vector256.Create(k[i])));
                    }
                    var v = Avx2.Min(Avx2.Max(Avx2.ShiftRightArithmetic(acc, PrecisionBits), zero), max);
                    Avx.Store(d + x, Avx2.GatherVector256(lut, v, 4));
                }
            }
        }
        if (w8 < w) VerticalToFloat(rows, dst, table, w8);
    }

    /// <summary>The horizontal pass into <paramref name="scratch"/> (InHeight×OutWidth), or the source itself when widths match.</summary>
    private unsafe ReadOnlySpan<byte> Horizontal(ReadOnlySpan<byte> src, Span<byte> scratch)
    {
        if (_x.IsIdentity) return src;
        if (scratch.Length < ScratchSize) throw new ArgumentException($"scratch needs {ScratchSize} bytes, got {scratch.Length}", nameof(scratch));
        int taps = _x.Taps, inW = InWidth, outW = OutWidth;
        const int Half = 1 << (PrecisionBits - 1);
        // Pointers, and the tap loop unrolled for upsampling (2–3 taps): this pass is ~6 000 outputs per 28→224 image
        // and bounds-checked spans made it cost three times the (vectorised) vertical pass.
        fixed (byte* s = src)
        fixed (byte* o = scratch)
        fixed (int* start = _x.Start)
        fixed (int* coeffs = _x.Coefficients)
        {
            for (int y = 0; y < InHeight; y++)
            {
                byte* row = s + y * inW;
                byte* d = o + y * outW;
                int* k = coeffs;
                if (taps == 3)
                {
                    for (int xx = 0; xx < outW; xx++, k += 3)
                    {
                        byte* p = row + start[xx];
                        d[xx] = Clip8(Half + p[0] * k[0] + p[1] * k[1] + p[2] * k[2]);
                    }
                }
                else
                {
                    for (int xx = 0; xx < outW; xx++, k += taps)
                    {
                        byte* p = row + start[xx];
                        int acc = Half;
                        for (int i = 0; i < taps; i++) acc += p[i] * k[i];
                        d[xx] = Clip8(acc);
                    }
                }
            }
        }
        return scratch[..ScratchSize];
    }

    private static byte Clip8(int acc) => ResampleAxis.Clip8(acc);

    private void CheckSizes(int src, int dst)
    {
        if (src != InHeight * InWidth) throw new ArgumentException($"source has {src} pixels, expected {InHeight}×{InWidth}");
        if (dst != OutHeight * OutWidth) throw new ArgumentException($"destination has {dst} pixels, expected {OutHeight}×{OutWidth}");
    }
}

/// <summary>
/// PyTorch's bilinear interpolation with <c>align_corners=False</c> (<c>F.interpolate(mode="bilinear")</c>) of a float
/// image: output (i, j) samples the input at (s_h·(i + ½) − ½, s_w·(j + ½) − ½), s = in/out, clamped
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

    // PyTorch 1.13 (UpSampleKernel.cpp): the scale in/out is computed in float, the source index and the weights in
    // double (CPU's acc_type of float) and rounded to float. Checked against the fixtures: computing the index in float
    // instead is off by up to 1.2e-6; this way every output is within 1 ulp (the rest is the kernel's summation order).
    private static (int[] I0, int[] I1, float[] L0, float[] L1) Axis(int inSize, int outSize)
    {
        var i0 = new int[outSize];
        var i1 = new int[outSize];
        var l0 = new float[outSize];
        var l1 = new float[outSize];
        double scale = (float)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            if (inSize == outSize)
            {
                (i0[o], i1[o], l0[o], l1[o]) = (o, o, 1f, 0f);
                continue;
            }
            double real = scale * (o + 0.5) - 0.5;
            if (real < 0) real = 0;
            int idx = (int)real;
            i0[o] = idx;
            i1[o] = idx + (idx < inSize - 1 ? 1 : 0);
            double lambda = real - idx;
            l1[o] = (float)lambda;
            l0[o] = (float)(1.0 - lambda);
        }
        return (i0, i1, l0, l1);
    }
}
