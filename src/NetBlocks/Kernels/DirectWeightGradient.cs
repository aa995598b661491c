using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetBlocks.Kernels;

/// <summary>
/// Direct weight gradient of a 2-D convolution on AVX-512, vectorised over 16 output channels: no im2col.
/// dW[oc, ci, kh, kw] = Σₙ Σ_{oh, ow} dy[n, oc, oh, ow] · x[n, ci, oh·s − p + kh, ow·s − p + kw].
/// <para>
/// The work is split into units (group, chunk of 16·NB output channels, range of input channels), each summing its own
/// slice of dW over every sample in sample order: no reduction, and each dW element is summed in the same order
/// whatever the thread count, so the result is the same bit for bit for every thread count.
/// </para>
/// <para>
/// A unit runs the batch in blocks of a few samples (sized to stay in L2): it transposes the block's dy of its channels
/// into [sample][pixel][16·NB] (one vector load per pixel and 16 channels) and copies its input channels into
/// zero-padded planes (read in place when there is no padding); then per tile of C input channels × R kernel rows × T
/// kernel columns the NB·C·R·T accumulators (Vector512, one per tap and 16 channels) are loaded from the unit's packed
/// slice [ci][kh][kw][16·NB], run over every pixel of the block in one flat loop (NB dy loads and C·R·T broadcasts of x
/// per pixel, x read at the pixel's offset from a table built once per unit) and stored back. At the end the slice is
/// written out in dW's layout.
/// </para>
/// <para>
/// Measured (2-core Zen 5, one thread, batch 128): 96→256 5×5 @10 runs at ~200 GFLOP/s (the forward kernel ~250);
/// the rest of a call (transposes, padded copies, bias) is 5 of its 77 ms there, but 3.6 of 8.2 ms for 32→32 3×3/2 g2
/// @48, whose input (37 MB) has to come from memory anyway.
/// </para>
/// </summary>
internal static unsafe partial class DirectWeightGradient
{
    /// <summary>Whether this machine runs the kernel at all.</summary>
    internal static bool IsSupported => Avx512F.IsSupported;

    /// <summary>Whether the kernel handles this shape: C_out/groups a multiple of 16 and a generated tile for the kernel size.</summary>
    internal static bool CanBackwardWeight(ConvGeometry g) => IsSupported && g.N > 0 && g.OH > 0 && g.OW > 0 && TileFor(g).Nb > 0;

    /// <summary>Bytes of a sample block's transposed dy and padded input (one unit's share) that a unit aims for.</summary>
    internal static int BlockBytes => ExecutionContext.Current.Policy.WeightGradientBlockBytes;

    /// <summary>Input-channel ranges per (group, channel chunk) aimed for: units ≈ this × threads.</summary>
    internal static int UnitsPerThread => ExecutionContext.Current.Policy.WeightGradientUnitsPerThread;

    private readonly record struct TileShape(int Nb, int C, int R, int T);

    /// <summary>The widest generated tile for this shape: most 16-channel blocks, then 2 input channels, then all kernel rows.</summary>
    private static TileShape TileFor(ConvGeometry g)
    {
        int og = g.CoutPerGroup, cg = g.CinPerGroup;
        if (og % 16 != 0 || og == 0) return default;
        for (int nb = 4; nb >= 1; nb /= 2)
        {
            if (og % (16 * nb) != 0) continue;
            foreach (int c in cg % 2 == 0 ? [2, 1] : new[] { 1 })
            foreach (int r in g.KH == 1 ? [1] : new[] { g.KH, 1 })
                if (HasTile(nb, c, r, g.KW)) return new TileShape(nb, c, r, g.KW);
        }
        return default;
    }

    /// <summary>How a call is split: tile, units and samples per block.</summary>
    private readonly record struct Plan(TileShape Tile, int Chunks, int Ranges, int Granules, int CiMax, int Samples, int Hp, int Wp)
    {
        public int Width => 16 * Tile.Nb;
    }

    private static Plan PlanFor(ConvGeometry g, int threads)
    {
        var tile = TileFor(g);
        int chunks = g.CoutPerGroup / (16 * tile.Nb), granules = g.CinPerGroup / tile.C;
        int per = g.Groups * chunks;
        int ranges = threads <= 1 ? 1 : Math.Clamp((UnitsPerThread * threads + per - 1) / per, 1, granules);
        int ciMax = (granules + ranges - 1) / ranges * tile.C;
        int hp = g.H + 2 * g.Padding, wp = g.W + 2 * g.Padding;
        long perSample = (long)g.OutPlane * 16 * tile.Nb + (g.Padding > 0 ? (long)ciMax * hp * wp : 0);
        int samples = (int)Math.Clamp(BlockBytes / 4 / perSample, 1, g.N);
        return new Plan(tile, chunks, ranges, granules, ciMax, samples, hp, wp);
    }

    /// <summary>dw = Σₙ dy[n] ⋆ x[n] per group, overwritten. Requires <see cref="CanBackwardWeight"/>.</summary>
    internal static void BackwardWeight(float* dy, float* x, float* dw, ConvGeometry g, int threads)
    {
        var plan = PlanFor(g, threads);
        var body = new Body { Dy = dy, X = x, Dw = dw, G = g, P = plan };
        Threading.For(g.Groups * plan.Chunks * plan.Ranges, ref body, threads);
    }

    private struct Body : IParallelBody
    {
        public float* Dy, X, Dw;
        public ConvGeometry G;
        public Plan P;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Invoke(int unit)
        {
            var g = G;
            var p = P;
            var tile = p.Tile;
            int og = g.CoutPerGroup, cg = g.CinPerGroup, width = p.Width, taps = g.KH * g.KW, plane = g.OutPlane;
            int gi = unit / (p.Chunks * p.Ranges), rest = unit % (p.Chunks * p.Ranges);
            int oc0 = gi * og + rest / p.Ranges * width, range = rest % p.Ranges;
            int ci0 = (int)((long)p.Granules * range / p.Ranges) * tile.C, ci1 = (int)((long)p.Granules * (range + 1) / p.Ranges) * tile.C;
            int cir = ci1 - ci0;
            long inPlane = (long)g.H * g.W;
            bool padded = g.Padding > 0;
            int sampleFloats = plane * width;

            // + 16: room to start both on a 64-byte boundary (a vector load across two cache lines costs two)
            float[] dyt = ThreadScratch.Get(ref t_dyt, p.Samples * sampleFloats + 16);
            float[] acc = ThreadScratch.Get(ref t_acc, cir * taps * width + 16);
            float[] pad = padded ? PadScratch(p.Samples * p.CiMax, p.Hp, p.Wp, g.Padding) : acc;
            nint[] offsets = ThreadScratch.Get(ref t_offsets, p.Samples * plane);
            fixed (float* pdyt0 = dyt, pacc0 = acc, ppad = pad)
            fixed (nint* poff = offsets)
            {
                float* pdyt = Align64(pdyt0), pacc = Align64(pacc0);
                new Span<float>(pacc, cir * taps * width).Clear();
                for (int n0 = 0; n0 < g.N; n0 += p.Samples)
                {
                    int count = Math.Min(p.Samples, g.N - n0);
                    for (int s = 0; s < count; s++)
                    for (int v = 0; v < width; v += 16)
                    {
                        float* src = Dy + ((long)(n0 + s) * g.OC + oc0 + v) * plane;
                        float* dst = pdyt + (long)s * sampleFloats + v;
                        for (int p0 = 0; p0 < plane; p0 += 16)
                            TransposeIn(src + p0, plane, dst + (long)p0 * width, width, Math.Min(16, plane - p0));
                    }

                    float* xb;
                    nint xSample, xCi, rs;
                    if (padded)
                    {
                        int hp = p.Hp, wp = p.Wp, pd = g.Padding;
                        for (int s = 0; s < count; s++)
                        for (int c = 0; c < cir; c++)
                        {
                            float* src = X + ((long)(n0 + s) * g.C + gi * cg + ci0 + c) * inPlane;
                            float* dst = ppad + ((long)(s * p.CiMax + c) * hp + pd) * wp + pd;
                            for (int ih = 0; ih < g.H; ih++) DirectConvolution.CopyRow(src + (long)ih * g.W, dst + (long)ih * wp, g.W);
                        }
                        xb = ppad; xSample = (nint)p.CiMax * hp * wp; xCi = (nint)hp * wp; rs = wp;
                    }
                    else
                    {
                        xb = X + ((long)n0 * g.C + gi * cg + ci0) * inPlane;
                        xSample = (nint)(g.C * inPlane); xCi = (nint)inPlane; rs = g.W;
                    }
                    // the offset of each pixel's receptive field (its top-left tap) in the block, sample by sample
                    if (n0 == 0)
                    {
                        nint* o = poff;
                        for (int s = 0; s < p.Samples; s++)
                        for (int i = 0; i < g.OH; i++)
                        for (int k = 0; k < g.OW; k++)
                            *o++ = s * xSample + (nint)i * g.Stride * rs + (nint)k * g.Stride;
                    }

                    nint accCi = (nint)taps * width, accRow = (nint)g.KW * width;
                    for (int c = 0; c < cir; c += tile.C)
                    for (int kh = 0; kh < g.KH; kh += tile.R)
                    for (int kw = 0; kw < g.KW; kw += tile.T)
                        Tile(tile.Nb, tile.C, tile.R, tile.T, xb + c * xCi + kh * rs + kw, poff, count * plane, xCi, rs,
                            pdyt, pacc + c * accCi + kh * accRow + kw * width, accCi, accRow);
                }

                // packed [ci][tap][16·NB] → dw[oc][ci][tap]
                for (int l = 0; l < width; l++)
                {
                    float* dst = Dw + ((long)(oc0 + l) * cg + ci0) * taps;
                    float* src = pacc + l;
                    for (int i = 0; i < cir * taps; i++) dst[i] = src[(long)i * width];
                }
            }
        }
    }

    private static float* Align64(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    [ThreadStatic] private static float[]? t_dyt;
    [ThreadStatic] private static float[]? t_acc;
    [ThreadStatic] private static float[]? t_pad;
    [ThreadStatic] private static nint[]? t_offsets;
    [ThreadStatic] private static (int Planes, int Hp, int Wp, int P) t_padShape;

    /// <summary>This thread's buffer for a block's zero-padded input planes (only the interior is written per use).</summary>
    private static float[] PadScratch(int planes, int hp, int wp, int pd)
        => ThreadScratch.Padded(ref t_pad, ref t_padShape, (planes, hp, wp, pd), planes * hp * wp);
}
