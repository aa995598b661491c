using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetBlocks.Kernels;

/// <summary>
/// Direct 2-D convolution on AVX-512, vectorised over 16 output channels: no im2col, and for one-row tiles the taps that
/// fall in the top/bottom padding are skipped (the input is read from a zero-padded copy of its planes). Layout stays NCHW.
/// <para>
/// Per sample, group, chunk of 16 or 32 output channels and output row, a tile of up to <see cref="MaxTile1"/> (16
/// channels) or <see cref="MaxTile2"/> (32 channels) output columns is held in registers, one Vector512 per column and
/// 16 channels; each tap (ci, kh, kw) loads the chunk's weight vectors (re-laid out once per call, or once per inference plan, as
/// [group][chunk][ci][kh][kw][16·NB]) and broadcasts one input value per column. The tile is then written out
/// (transposed to NCHW) with the bias, and for an inference plan's convolution followed by a ReLU, max(·, 0) in the same
/// store. An inference plan packs the weights once (<see cref="PackForward"/>, <see cref="ForwardPacked"/>).
/// </para>
/// <para>
/// The input gradient of a stride-1 convolution is the same kernel applied to dy with the weights transposed within each
/// group and flipped, and padding K−1−p.
/// </para>
/// <para>
/// Each output element is computed by one thread in a fixed order, so the results do not depend on the thread count.
/// </para>
/// </summary>
internal static unsafe partial class DirectConvolution
{
    /// <summary>The column stride of a tile, as a type so that the kernels' offsets are constants.</summary>
    internal interface IStride { static abstract int Value { get; } }
    private struct Stride1 : IStride { public static int Value => 1; }
    private struct Stride2 : IStride { public static int Value => 2; }

    /// <summary>Whether this machine runs the direct kernels at all.</summary>
    internal static bool IsSupported => Avx512F.IsSupported;

    /// <summary>Whether the forward direct kernel handles this shape (it may still not be chosen; see Convolution).</summary>
    internal static bool CanForward(ConvGeometry g)
        => IsSupported && g.CoutPerGroup % 16 == 0 && g.Stride is 1 or 2 && g.OH > 0 && g.OW > 0;

    /// <summary>Whether the input-gradient direct kernel handles this shape: stride 1, C/groups a multiple of 16, p ≤ K−1.</summary>
    internal static bool CanBackwardData(ConvGeometry g)
        => IsSupported && g.Stride == 1 && g.CinPerGroup % 16 == 0 && g.Padding <= g.KH - 1 && g.Padding <= g.KW - 1 && g.OH > 0 && g.OW > 0;

    /// <summary>The convolution the kernel runs: input (N, C, H, W), output (N, OC, OH, OW), paddings per axis.</summary>
    private readonly record struct Shape(int N, int C, int H, int W, int OC, int KH, int KW, int Stride, int PH, int PW, int Groups, int OH, int OW)
    {
        public int Cg => C / Groups;
        public int Og => OC / Groups;
        /// <summary>Output channels per chunk: 32 when the group has a multiple of 32, else 16.</summary>
        public int Block => Og % 32 == 0 ? 32 : 16;
        public int Chunks => Og / Block;
        public int PaddedW => W + 2 * PW;
    }

    /// <summary>
    /// y = conv(x, w) + bias, y overwritten, then max(y, 0) with <paramref name="relu"/> (in the store, as
    /// <see cref="StoreTransposed"/> does it). Requires <see cref="CanForward"/>. Packs w into a thread scratch first.
    /// </summary>
    internal static void Forward(float* x, float* w, float* bias, float* y, ConvGeometry g, int threads, bool relu = false)
    {
        float[] packed = PackScratch(PackedLength(g));
        fixed (float* pw = packed)
        {
            PackForward(w, pw, g, threads);
            ForwardPacked(x, pw, bias, y, g, threads, relu);
        }
    }

    /// <summary>Floats of the forward's packed weights for layer g: OC · C/groups · KH · KW.</summary>
    internal static int PackedLength(ConvGeometry g) => g.OC * g.PatchSize;

    /// <summary>
    /// The forward's re-laid-out weights of layer g into <paramref name="packed"/> (<see cref="PackedLength"/> floats),
    /// [group][chunk][ci][kh][kw][block]: what <see cref="ForwardPacked"/> reads. Depends on the weight shape and
    /// groups only, so one packing serves any input size.
    /// </summary>
    internal static void PackForward(float* w, float* packed, ConvGeometry g, int threads) => Pack(w, packed, ForwardShape(g), transpose: false, threads);

    /// <summary>
    /// <see cref="Forward"/> from weights already packed by <see cref="PackForward"/> (an inference plan packs them once):
    /// the same arithmetic in the same order, so the same bits.
    /// </summary>
    internal static void ForwardPacked(float* x, float* packed, float* bias, float* y, ConvGeometry g, int threads, bool relu)
        => Run(x, packed, bias, y, ForwardShape(g), threads, relu);

    private static Shape ForwardShape(ConvGeometry g) => new(g.N, g.C, g.H, g.W, g.OC, g.KH, g.KW, g.Stride, g.Padding, g.Padding, g.Groups, g.OH, g.OW);

    /// <summary>dx = ∂L/∂x of a stride-1 convolution given dy, dx overwritten. Requires <see cref="CanBackwardData"/>.</summary>
    internal static void BackwardData(float* dy, float* w, float* dx, ConvGeometry g, int threads)
    {
        var s = new Shape(g.N, g.OC, g.OH, g.OW, g.C, g.KH, g.KW, 1, g.KH - 1 - g.Padding, g.KW - 1 - g.Padding, g.Groups, g.H, g.W);
        float[] packed = PackScratch(g.OC * g.PatchSize);
        fixed (float* pw = packed)
        {
            Pack(w, pw, s, transpose: true, threads);
            Run(dy, pw, null, dx, s, threads, relu: false);
        }
    }

    /// <summary>
    /// Re-lays the weights out as [group][chunk][ci][kh][kw][Block] for shape s, chunks over the threads. With
    /// <paramref name="transpose"/>, w is the forward weights (s.C, s.OC/groups, KH, KW) and the kernel gets them
    /// transposed within each group and flipped.
    /// </summary>
    private static void Pack(float* w, float* pw, Shape s, bool transpose, int threads)
    {
        var body = new PackBody { W = w, Packed = pw, S = s, Transpose = transpose };
        Threading.For(s.Groups * s.Chunks, ref body, threads);
    }

    /// <summary>One (group, chunk) of the packed weights, written in order.</summary>
    private struct PackBody : IParallelBody
    {
        public float* W, Packed;
        public Shape S;
        public bool Transpose;

        public readonly void Invoke(int item)
        {
            var s = S;
            int cg = s.Cg, og = s.Og, block = s.Block, taps = s.KH * s.KW;
            int gi = item / s.Chunks, o0 = item % s.Chunks * block;
            float* dst = Packed + (long)item * cg * taps * block;
            for (int ci = 0; ci < cg; ci++)
            for (int t = 0; t < taps; t++)
            {
                // forward: w[gi·og + o, ci, t]; transposed: the forward weight of output channel gi·cg + ci, input o, flipped tap
                float* src = Transpose
                    ? W + ((long)(gi * cg + ci) * og + o0) * taps + (taps - 1 - t)
                    : W + ((long)(gi * og + o0) * cg + ci) * taps + t;
                long step = Transpose ? taps : (long)cg * taps;
                for (int l = 0; l < block; l++) *dst++ = src[l * step];
            }
        }
    }

    private static void Run(float* x, float* pw, float* bias, float* y, Shape s, int threads, bool relu)
    {
        var body = new Body { X = x, W = pw, Bias = bias, Y = y, S = s, Relu = relu };
        // per sample (each copies a group's padded input once for all its chunks); a batch smaller than the thread count
        // is split finer, per sample, group and chunk
        if (threads <= 1 || s.N >= threads)
            Threading.For(s.N, ref body, threads);
        else
        {
            body.Fine = true;
            Threading.For(s.N * s.Groups * s.Chunks, ref body, threads);
        }
    }

    private struct Body : IParallelBody
    {
        public float* X, W, Bias, Y;
        public Shape S;
        /// <summary>One item per (sample, group, chunk) rather than per sample.</summary>
        public bool Fine;
        /// <summary>max(·, 0) in the store (the inference plan's fused ReLU).</summary>
        public bool Relu;

        public readonly void Invoke(int item)
        {
            var s = S;
            if (!Fine)
            {
                for (int gi = 0; gi < s.Groups; gi++) Group(item, gi, 0, s.Chunks);
                return;
            }
            int n = item / (s.Groups * s.Chunks), rest = item % (s.Groups * s.Chunks);
            Group(n, rest / s.Chunks, rest % s.Chunks, 1);
        }

        /// <summary>Chunks [c0, c0 + count) of group gi of sample n.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void Group(int n, int gi, int c0, int count)
        {
            var s = S;
            int cg = s.Cg;
            long inPlane = (long)s.H * s.W;
            float* xs = X + ((long)n * s.C + gi * cg) * inPlane;
            if (s.PH == 0 && s.PW == 0)
            {
                for (int c = c0; c < c0 + count; c++) Chunk(n, gi, c, xs, (nint)inPlane, s.W);
                return;
            }
            // the group's input planes with PH zero rows above and below and PW zero columns either side
            int hp = s.H + 2 * s.PH, wp = s.W + 2 * s.PW;
            float[] padded = PadScratch(cg, hp, wp, s.PH, s.PW);
            fixed (float* pp = padded)
            {
                for (int c = 0; c < cg; c++)
                for (int ih = 0; ih < s.H; ih++)
                    CopyRow(xs + ((long)c * s.H + ih) * s.W, pp + ((long)c * hp + ih + s.PH) * wp + s.PW, s.W);
                for (int c = c0; c < c0 + count; c++) Chunk(n, gi, c, pp, (nint)hp * wp, wp);
            }
        }

        private readonly void Chunk(int n, int gi, int chunk, float* xs, nint ciStride, nint rowStride)
        {
            if (S.Stride == 1) Chunk<Stride1>(n, gi, chunk, xs, ciStride, rowStride);
            else Chunk<Stride2>(n, gi, chunk, xs, ciStride, rowStride);
        }

        /// <summary>
        /// One chunk of output channels of sample n, group gi, from its input planes xs (padded by PH rows and PW columns
        /// when either is non-zero). Outputs no wider than <see cref="MultiRowMaxWidth"/> are tiled several rows at a
        /// time (whole rows, so that a tile is contiguous in y); wider ones one row at a time in balanced column tiles.
        /// A tile runs the taps of the rows kh that any of its output rows needs (one row: exactly its own; the others
        /// multiply padding zeros).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: no slow tier-0 copy
        private readonly void Chunk<TS>(int n, int gi, int chunk, float* xs, nint ciStride, nint rowStride) where TS : struct, IStride
        {
            var s = S;
            int block = s.Block, taps = s.KH * s.KW, cg = s.Cg, stride = s.Stride;
            int maxTile = block == 32 ? MaxTile2 : MaxTile1;
            bool multiRow = s.OW <= MultiRowMaxWidth;
            int rowsPer = multiRow ? Math.Min(s.OH, maxTile / s.OW) : 1;
            int rowTiles = (s.OH + rowsPer - 1) / rowsPer;
            int colTiles = multiRow ? 1 : (s.OW + maxTile - 1) / maxTile;
            float* wc = W + ((long)(gi * s.Chunks + chunk) * cg * taps) * block;
            int oc0 = gi * s.Og + chunk * block;
            long outPlane = (long)s.OH * s.OW;
            float* yc = Y + ((long)n * s.OC + oc0) * outPlane;
            float* bc = Bias == null ? null : Bias + oc0;
            // the tile's pixels (r·t × block floats), with room for StoreTransposed's 16 rows read from pixel 16 on
            float* tile = stackalloc float[32 * 32];
            int oh0 = 0;
            for (int ri = 0; ri < rowTiles; ri++)
            {
                // balanced tiles: the first (OH mod tiles) are one row wider, likewise for columns
                int r = s.OH / rowTiles + (ri < s.OH % rowTiles ? 1 : 0);
                int ihTop = oh0 * stride - s.PH, ihBottom = (oh0 + r - 1) * stride - s.PH;
                int khLo = Math.Max(0, -ihBottom), khHi = Math.Min(s.KH, s.H - ihTop), kh = Math.Max(0, khHi - khLo);
                // padded coordinates: input row ih is row ih + PH of xs (PH = 0 when xs is not padded), column iw is iw + PW
                float* xrow = xs + (ihTop + s.PH + khLo) * rowStride;
                float* wrow = wc + khLo * s.KW * block;
                nint wSkip = (s.KH - kh) * s.KW * block;
                int ow0 = 0;
                for (int ci = 0; ci < colTiles; ci++)
                {
                    int t = s.OW / colTiles + (ci < s.OW % colTiles ? 1 : 0);
                    float* xt = xrow + ow0 * stride;
                    bool ran = block == 32
                        ? Tile2<TS>(r, t, xt, ciStride, rowStride, cg, kh, s.KW, wrow, wSkip, tile)
                        : Tile1<TS>(r, t, xt, ciStride, rowStride, cg, kh, s.KW, wrow, wSkip, tile);
                    if (!ran) throw new InvalidOperationException($"no {r}×{t} direct-convolution tile");
                    // a multi-row tile spans whole rows: its r·t pixels are contiguous in y
                    float* yt = yc + (long)oh0 * s.OW + ow0;
                    int pixels = r * t;
                    for (int v = 0; v < block; v += 16)
                    for (int p0 = 0; p0 < pixels; p0 += 16)
                        StoreTransposed(tile + p0 * block + v, block, yt + v * outPlane + p0, (nint)outPlane, bc == null ? null : bc + v, Math.Min(16, pixels - p0), Relu);
                    ow0 += t;
                }
                oh0 += r;
            }
        }
    }

    /// <summary>dst[0..n) = src[0..n), 16 floats at a time, the tail masked (also the weight-gradient kernel's padded copies).</summary>
    internal static void CopyRow(float* src, float* dst, int n)
    {
        int i = 0;
        for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(src + i), dst + i);
        if (i < n)
        {
            var m = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n - i)).AsSingle();
            Avx512F.MaskStore(dst + i, m, Avx512F.MaskLoad(src + i, m, Vector512<float>.Zero));
        }
    }

    [ThreadStatic] private static float[]? t_pack;
    [ThreadStatic] private static float[]? t_pad;

    [ThreadStatic] private static (int Cg, int Hp, int Wp, int PH, int PW) t_padShape;

    /// <summary>The calling thread's buffer for the re-laid-out weights.</summary>
    private static float[] PackScratch(int length) => ThreadScratch.Get(ref t_pack, length);

    /// <summary>This thread's buffer for a group's zero-padded input planes (only the interior is written per use).</summary>
    private static float[] PadScratch(int cg, int hp, int wp, int ph, int pw)
        => ThreadScratch.Padded(ref t_pad, ref t_padShape, (cg, hp, wp, ph, pw), cg * hp * wp);
}
