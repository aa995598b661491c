using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetBlocks.Kernels;

/// <summary>
/// Winograd F(2×2, 3×3) convolution for 3×3, stride-1, ungrouped layers with padding 0, 1 or 2: each 2×2 block of
/// outputs costs 16 multiplications per (input, output) channel pair instead of 36 (2.25× fewer), at the price of
/// transforms, and with a rounding that differs from a direct sum's (the transforms add and subtract up to nine values
/// before and after the products; measured about as large as the direct kernel's error on the tests' shapes).
/// <para>
/// Per call the weights are transformed once, V = G g Gᵀ, laid out [16][C_out][C_in] (an inference plan transforms them
/// once for all its calls: <see cref="TransformForward"/>, <see cref="ForwardTransformed"/>). The output's 2×2 tiles are
/// numbered sample by sample, row by row, and a block of consecutive tiles (a multiple of 32, the GEMM's register block,
/// sized so that its U and M stay near <see cref="KernelPolicy.WinogradBlockBytes"/>) is one work item: its input tiles
/// are transformed, U = Bᵀ d B laid out [16][C_in][tiles] (from a zero-padded copy of the rows of each input plane they
/// read), then 16 single-threaded GEMMs M[ξ] = V[ξ] · U[ξ] (<see cref="Gemm.Sgemm"/>, C_out × tiles × C_in) and the
/// output transform Y = Aᵀ M A with the bias, edge tiles clipped to the output plane. The transforms run 16 tiles of a
/// tile row at a time on AVX-512 (one vector per tile element, even and odd columns split with permutes) and lane by
/// lane elsewhere, with the same additions in the same order, so both give the same bits.
/// </para>
/// <para>
/// The blocks depend on the shapes and the policy only, never on the thread count, and each output element is computed
/// by one work item in a fixed order: results are the same bit for bit for every thread count.
/// </para>
/// <para>
/// The input gradient of such a layer is the same convolution of dy with the weights transposed (C_in and C_out swapped)
/// and rotated by 180°, and padding 2 − p.
/// </para>
/// </summary>
internal static unsafe class Winograd
{
    /// <summary>Whether the kernel handles this forward shape: 3×3, stride 1, one group, padding at most 2.</summary>
    internal static bool CanForward(ConvGeometry g)
        => g.KH == 3 && g.KW == 3 && g.Stride == 1 && g.Groups == 1 && g.Padding <= 2 && g.OH > 0 && g.OW > 0;

    /// <summary>Whether the kernel handles this layer's input gradient (the same shapes: its padding becomes 2 − p).</summary>
    internal static bool CanBackwardData(ConvGeometry g) => CanForward(g);

    /// <summary>Bytes of a work item's transformed input and products (U and M) aimed for (<see cref="KernelPolicy.WinogradBlockBytes"/>).</summary>
    internal static int BlockBytes => ExecutionContext.Current.Policy.WinogradBlockBytes;

    /// <summary>The convolution the kernel runs: input (N, C, H, W), output (N, OC, OH, OW), 3×3, stride 1, padding P.</summary>
    internal readonly record struct Shape(int N, int C, int H, int W, int OC, int P)
    {
        public int OH => H + 2 * P - 2;
        public int OW => W + 2 * P - 2;
        public int TilesH => (OH + 1) / 2;
        public int TilesW => (OW + 1) / 2;
        /// <summary>The padded plane: P zero rows and columns before the input, zeros after it up to the last read of a group of 16 tiles starting at any tile.</summary>
        public int Wp => 2 * TilesW + 34;
        public int Hp => 2 * TilesH + 2;
        public int TilesPerSample => TilesH * TilesW;
        /// <summary>Tiles of the whole batch.</summary>
        public long Tiles => (long)N * TilesPerSample;

        /// <summary>
        /// Tiles per work item: U and M of a block (64·(C + OC) bytes per tile) near the policy's budget, in whole
        /// multiples of 32 (the GEMM's register block) and at least 32.
        /// </summary>
        public int TilesPerBlock(int budgetBytes)
        {
            long perTile = 64L * (C + OC);
            return (int)Math.Max(32, budgetBytes / perTile / 32 * 32);
        }
    }

    /// <summary>The forward convolution of layer g as the kernel runs it.</summary>
    internal static Shape ForwardShape(ConvGeometry g) => new(g.N, g.C, g.H, g.W, g.OC, g.Padding);

    /// <summary>The input gradient of layer g as the kernel runs it: dy convolved to dx, channels swapped, padding 2 − p.</summary>
    internal static Shape BackwardDataShape(ConvGeometry g) => new(g.N, g.OC, g.OH, g.OW, g.C, 2 - g.Padding);

    /// <summary>Work items (blocks of consecutive tiles, <see cref="Shape.TilesPerBlock"/>) a call of shape s splits into under the current policy.</summary>
    internal static int WorkItems(Shape s)
    {
        int tiles = s.TilesPerBlock(BlockBytes);
        return (int)((s.Tiles + tiles - 1) / tiles);
    }

    /// <summary>
    /// y = conv(x, w) + bias, y overwritten, then max(y, 0) with <paramref name="relu"/> (in the output transform).
    /// Requires <see cref="CanForward"/>. Transforms w into a thread scratch first.
    /// </summary>
    internal static void Forward(float* x, float* w, float* bias, float* y, ConvGeometry g, int threads, bool relu = false)
        => Run(x, w, transpose: false, bias, y, ForwardShape(g), threads, relu);

    /// <summary>dx = ∂L/∂x given dy, dx overwritten. Requires <see cref="CanBackwardData"/>.</summary>
    internal static void BackwardData(float* dy, float* w, float* dx, ConvGeometry g, int threads)
        => Run(dy, w, transpose: true, null, dx, BackwardDataShape(g), threads, relu: false);

    /// <summary>Floats of the forward's transformed weights V of layer g: 16 · OC · C.</summary>
    internal static int TransformedLength(ConvGeometry g) => 16 * g.OC * g.C;

    /// <summary>
    /// V = G w Gᵀ of layer g's forward, laid out [16][OC][C], into <paramref name="v"/> (<see cref="TransformedLength"/>
    /// floats): what <see cref="ForwardTransformed"/> reads. Depends on the weights only, so one transform serves any input size.
    /// </summary>
    internal static void TransformForward(float* w, float* v, ConvGeometry g, int threads)
    {
        var weights = new WeightBody { W = w, V = v, OC = g.OC, C = g.C, Transpose = false };
        Threading.For(g.OC, ref weights, threads);
    }

    /// <summary>
    /// <see cref="Forward"/> from weights already transformed by <see cref="TransformForward"/> (an inference plan
    /// transforms them once): the same arithmetic in the same order, so the same bits.
    /// </summary>
    internal static void ForwardTransformed(float* x, float* v, float* bias, float* y, ConvGeometry g, int threads, bool relu)
        => RunTransformed(x, v, bias, y, ForwardShape(g), threads, relu);

    /// <summary>
    /// The kernel for shape s. With <paramref name="transpose"/>, w is the forward weights (s.C, s.OC, 3, 3) of the layer
    /// whose input gradient this is, used transposed and rotated; else w is (s.OC, s.C, 3, 3).
    /// </summary>
    private static void Run(float* x, float* w, bool transpose, float* bias, float* y, Shape s, int threads, bool relu)
    {
        float[] v = WeightScratch(16 * s.OC * s.C);
        fixed (float* pv = v)
        {
            var weights = new WeightBody { W = w, V = pv, OC = s.OC, C = s.C, Transpose = transpose };
            Threading.For(s.OC, ref weights, threads);
            RunTransformed(x, pv, bias, y, s, threads, relu);
        }
    }

    /// <summary>The tiles of shape s from transformed weights v ([16][s.OC][s.C]).</summary>
    private static void RunTransformed(float* x, float* v, float* bias, float* y, Shape s, int threads, bool relu)
    {
        int tiles = s.TilesPerBlock(BlockBytes), blocks = WorkItems(s);
        var body = new Body
        {
            X = x, V = v, Bias = bias, Y = y, S = s, BlockTiles = tiles, Path = Gemm.ForcedPath,
            Vector = Avx512F.IsSupported && !ExecutionContext.Current.Policy.WinogradScalarTransforms, Relu = relu,
        };
        Threading.For(blocks, ref body, threads);
    }

    /// <summary>V[ξ][o][c] = (G g Gᵀ)[ξ] of the 3×3 kernel g of output o and input c, for one output channel o.</summary>
    private struct WeightBody : IParallelBody
    {
        public float* W, V;
        public int OC, C;
        public bool Transpose;

        public readonly void Invoke(int o)
        {
            long plane = (long)OC * C;
            var k = stackalloc float[9];
            var t = stackalloc float[12];
            for (int c = 0; c < C; c++)
            {
                if (Transpose)
                {
                    // the forward weight of output channel c and input channel o, rotated by 180°
                    float* src = W + ((long)c * OC + o) * 9;
                    for (int i = 0; i < 9; i++) k[i] = src[8 - i];
                }
                else
                {
                    float* src = W + ((long)o * C + c) * 9;
                    for (int i = 0; i < 9; i++) k[i] = src[i];
                }
                // t = G k (4×3), G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
                for (int b = 0; b < 3; b++)
                {
                    float k0 = k[b], k1 = k[3 + b], k2 = k[6 + b];
                    t[b] = k0;
                    t[3 + b] = (k0 + k1 + k2) * 0.5f;
                    t[6 + b] = (k0 - k1 + k2) * 0.5f;
                    t[9 + b] = k2;
                }
                // V = t Gᵀ (4×4)
                float* dst = V + (long)o * C + c;
                for (int i = 0; i < 4; i++)
                {
                    float t0 = t[3 * i], t1 = t[3 * i + 1], t2 = t[3 * i + 2];
                    dst[(4 * i) * plane] = t0;
                    dst[(4 * i + 1) * plane] = (t0 + t1 + t2) * 0.5f;
                    dst[(4 * i + 2) * plane] = (t0 - t1 + t2) * 0.5f;
                    dst[(4 * i + 3) * plane] = t2;
                }
            }
        }
    }

    /// <summary>One block of consecutive tiles (in the order sample, tile row, tile column): input transform, 16 GEMMs, output transform.</summary>
    private struct Body : IParallelBody
    {
        public float* X, V, Bias, Y;
        public Shape S;
        public int BlockTiles;
        public GemmPath Path;
        /// <summary>Transforms 16 tiles at a time on AVX-512, else lane by lane.</summary>
        public bool Vector;
        /// <summary>max(·, 0) in the output transform (the inference plan's fused ReLU).</summary>
        public bool Relu;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Invoke(int block)
        {
            var s = S;
            long k0 = (long)block * BlockTiles, k1 = Math.Min(s.Tiles, k0 + BlockTiles);
            int tiles = (int)(k1 - k0);
            // 16 floats of slack: the output transform reads whole vectors past the block's last tile
            // U[ξ] and M[ξ] one cache line more than their size apart: at sizes a multiple of 4 KiB the transforms' 16
            // streams would all fall in the same L1 sets
            int uStride = s.C * tiles + XiPad, mStride = s.OC * tiles + XiPad;
            float[] u = UScratch(16 * uStride + 16), m = MScratch(16 * mStride + 16);
            float[] pad = PadScratch(s);
            fixed (float* pu = u, pm = m, pp = pad)
            {
                // runs of the block's tiles within one sample
                for (long k = k0; k < k1;)
                {
                    int n = (int)(k / s.TilesPerSample);
                    long end = Math.Min(k1, (long)(n + 1) * s.TilesPerSample);
                    Inputs(n, (int)(k - (long)n * s.TilesPerSample), (int)(end - (long)n * s.TilesPerSample), pp, pu + (k - k0), tiles, uStride);
                    k = end;
                }
                for (int xi = 0; xi < 16; xi++)
                    Gemm.Sgemm(Path, 1, false, false, s.OC, tiles, s.C, 1f, V + (long)xi * s.OC * s.C, s.C,
                        pu + (long)xi * uStride, tiles, 0f, pm + (long)xi * mStride, tiles);
                for (long k = k0; k < k1;)
                {
                    int n = (int)(k / s.TilesPerSample);
                    long end = Math.Min(k1, (long)(n + 1) * s.TilesPerSample);
                    Outputs(n, (int)(k - (long)n * s.TilesPerSample), (int)(end - (long)n * s.TilesPerSample), pm + (k - k0), tiles, mStride);
                    k = end;
                }
            }
        }

        /// <summary>
        /// U of tiles [t0, t1) of sample n (numbered row by row), every input channel: u points at tile t0's column, rows
        /// of U are <paramref name="tiles"/> apart.
        /// </summary>
        private readonly void Inputs(int n, int t0, int t1, float* pad, float* u, int tiles, nint xiStride)
        {
            var s = S;
            nint wp = s.Wp;
            int th0 = t0 / s.TilesW, th1 = (t1 - 1) / s.TilesW + 1;
            int ihLo = Math.Max(0, 2 * th0 - s.P), ihHi = Math.Min(s.H, 2 * th1 + 2 - s.P);
            for (int c = 0; c < s.C; c++)
            {
                float* plane = X + ((long)n * s.C + c) * s.H * s.W;
                // the rows these tiles read, at row ih + P and column P of the padded plane (the rest of it stays zero)
                for (int ih = ihLo; ih < ihHi; ih++)
                    new ReadOnlySpan<float>(plane + (long)ih * s.W, s.W).CopyTo(new Span<float>(pad + (ih + s.P) * wp + s.P, s.W));
                float* uc = u + (long)c * tiles - t0;
                for (int th = th0; th < th1; th++)
                {
                    int twEnd = Math.Min(s.TilesW, t1 - th * s.TilesW);
                    for (int tw = Math.Max(0, t0 - th * s.TilesW); tw < twEnd; tw += 16)
                    {
                        int count = Math.Min(16, twEnd - tw);
                        float* src = pad + 2 * th * wp + 2 * tw;
                        float* dst = uc + th * s.TilesW + tw;
                        if (Vector) InputTiles16(src, wp, dst, xiStride, count);
                        else InputTilesScalar(src, wp, dst, xiStride, count);
                    }
                }
            }
        }

        /// <summary>Y of tiles [t0, t1) of sample n, every output channel, from M (m at tile t0's column).</summary>
        private readonly void Outputs(int n, int t0, int t1, float* m, int tiles, nint xiStride)
        {
            var s = S;
            int th0 = t0 / s.TilesW, th1 = (t1 - 1) / s.TilesW + 1;
            bool hasBias = Bias != null;
            for (int o = 0; o < s.OC; o++)
            {
                float* yPlane = Y + ((long)n * s.OC + o) * s.OH * s.OW;
                float* mo = m + (long)o * tiles - t0;
                float b = hasBias ? Bias[o] : 0f;
                for (int th = th0; th < th1; th++)
                {
                    int twEnd = Math.Min(s.TilesW, t1 - th * s.TilesW), rows = Math.Min(2, s.OH - 2 * th);
                    for (int tw = Math.Max(0, t0 - th * s.TilesW); tw < twEnd; tw += 16)
                    {
                        // the group's tiles, clipped to the plane: 2 columns each, the last one maybe 1
                        int cols = Math.Min(2 * Math.Min(16, twEnd - tw), s.OW - 2 * tw);
                        float* src = mo + th * s.TilesW + tw;
                        float* dst = yPlane + (long)2 * th * s.OW + 2 * tw;
                        if (Vector) OutputTiles16(src, xiStride, hasBias, b, Relu, dst, s.OW, cols, rows);
                        else OutputTilesScalar(src, xiStride, hasBias, b, Relu, dst, s.OW, cols, rows);
                    }
                }
            }
        }
    }

    /// <summary>Floats between the end of U[ξ] (or M[ξ]) and the start of the next: one cache line.</summary>
    private const int XiPad = 16;

    private static readonly Vector512<int> Even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> Odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    private static readonly Vector512<int> InterleaveLo = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> InterleaveHi = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>Bᵀ d of one row of 16 tiles: d_j is the row's column 2·tile + j; Bᵀ's rows are (1 0 −1 0), (0 1 1 0), (0 −1 1 0), (0 1 0 −1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTransform16(float* r, out Vector512<float> h0, out Vector512<float> h1, out Vector512<float> h2, out Vector512<float> h3)
    {
        Vector512<float> a = Vector512.Load(r), b = Vector512.Load(r + 16), c = Vector512.Load(r + 2), d = Vector512.Load(r + 18);
        var d0 = Avx512F.PermuteVar16x32x2(a, Even, b);
        var d1 = Avx512F.PermuteVar16x32x2(a, Odd, b);
        var d2 = Avx512F.PermuteVar16x32x2(c, Even, d);
        var d3 = Avx512F.PermuteVar16x32x2(c, Odd, d);
        h0 = d0 - d2;
        h1 = d1 + d2;
        h2 = d2 - d1;
        h3 = d1 - d3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> v, float* dst, int count)
    {
        if (count == 16) v.Store(dst);
        else Avx512F.MaskStore(dst, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle(), v);
    }

    /// <summary>U = Bᵀ d B of 16 tiles whose 4×4 inputs start at src (columns 2 apart, rows wp apart); U[ξ] goes to dst + ξ·xiStride, count tiles stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputTiles16(float* src, nint wp, float* dst, nint xiStride, int count)
    {
        RowTransform16(src, out var h00, out var h01, out var h02, out var h03);
        RowTransform16(src + wp, out var h10, out var h11, out var h12, out var h13);
        RowTransform16(src + 2 * wp, out var h20, out var h21, out var h22, out var h23);
        RowTransform16(src + 3 * wp, out var h30, out var h31, out var h32, out var h33);
        Store(h00 - h20, dst, count);
        Store(h01 - h21, dst + xiStride, count);
        Store(h02 - h22, dst + 2 * xiStride, count);
        Store(h03 - h23, dst + 3 * xiStride, count);
        Store(h10 + h20, dst + 4 * xiStride, count);
        Store(h11 + h21, dst + 5 * xiStride, count);
        Store(h12 + h22, dst + 6 * xiStride, count);
        Store(h13 + h23, dst + 7 * xiStride, count);
        Store(h20 - h10, dst + 8 * xiStride, count);
        Store(h21 - h11, dst + 9 * xiStride, count);
        Store(h22 - h12, dst + 10 * xiStride, count);
        Store(h23 - h13, dst + 11 * xiStride, count);
        Store(h10 - h30, dst + 12 * xiStride, count);
        Store(h11 - h31, dst + 13 * xiStride, count);
        Store(h12 - h32, dst + 14 * xiStride, count);
        Store(h13 - h33, dst + 15 * xiStride, count);
    }

    /// <summary><see cref="InputTiles16"/> lane by lane, the same additions in the same order.</summary>
    private static void InputTilesScalar(float* src, nint wp, float* dst, nint xiStride, int count)
    {
        var h = stackalloc float[16];
        for (int l = 0; l < count; l++)
        {
            for (int i = 0; i < 4; i++)
            {
                float* r = src + i * wp + 2 * l;
                float d0 = r[0], d1 = r[1], d2 = r[2], d3 = r[3];
                h[4 * i] = d0 - d2;
                h[4 * i + 1] = d1 + d2;
                h[4 * i + 2] = d2 - d1;
                h[4 * i + 3] = d1 - d3;
            }
            for (int j = 0; j < 4; j++)
            {
                dst[j * xiStride + l] = h[j] - h[8 + j];
                dst[(4 + j) * xiStride + l] = h[4 + j] + h[8 + j];
                dst[(8 + j) * xiStride + l] = h[8 + j] - h[4 + j];
                dst[(12 + j) * xiStride + l] = h[4 + j] - h[12 + j];
            }
        }
    }

    /// <summary>
    /// Y = Aᵀ M A (+ bias) of 16 tiles whose M[ξ] is at src + ξ·xiStride; Aᵀ = (1 1 1 0), (0 1 −1 −1); with
    /// <paramref name="relu"/> max(Y, 0) as <see cref="Vector512.Max{T}"/> takes it (−0 becomes +0, a NaN stays itself).
    /// Writes the first <paramref name="rows"/> (1 or 2) output rows from dst (ow apart), <paramref name="cols"/> columns of each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OutputTiles16(float* src, nint xiStride, bool hasBias, float bias, bool relu, float* dst, int ow, int cols, int rows)
    {
        // rows of Aᵀ M: s_j = m0j + m1j + m2j, d_j = m1j − m2j − m3j
        Vector512<float> s0, s1, s2, s3, e0, e1, e2, e3;
        {
            var m0 = Vector512.Load(src); var m4 = Vector512.Load(src + 4 * xiStride);
            var m8 = Vector512.Load(src + 8 * xiStride); var m12 = Vector512.Load(src + 12 * xiStride);
            s0 = m0 + m4 + m8; e0 = m4 - m8 - m12;
        }
        {
            var m1 = Vector512.Load(src + xiStride); var m5 = Vector512.Load(src + 5 * xiStride);
            var m9 = Vector512.Load(src + 9 * xiStride); var m13 = Vector512.Load(src + 13 * xiStride);
            s1 = m1 + m5 + m9; e1 = m5 - m9 - m13;
        }
        {
            var m2 = Vector512.Load(src + 2 * xiStride); var m6 = Vector512.Load(src + 6 * xiStride);
            var m10 = Vector512.Load(src + 10 * xiStride); var m14 = Vector512.Load(src + 14 * xiStride);
            s2 = m2 + m6 + m10; e2 = m6 - m10 - m14;
        }
        {
            var m3 = Vector512.Load(src + 3 * xiStride); var m7 = Vector512.Load(src + 7 * xiStride);
            var m11 = Vector512.Load(src + 11 * xiStride); var m15 = Vector512.Load(src + 15 * xiStride);
            s3 = m3 + m7 + m11; e3 = m7 - m11 - m15;
        }
        var y00 = s0 + s1 + s2; var y01 = s1 - s2 - s3;
        var y10 = e0 + e1 + e2; var y11 = e1 - e2 - e3;
        if (hasBias)
        {
            var b = Vector512.Create(bias);
            y00 += b; y01 += b; y10 += b; y11 += b;
        }
        if (relu)
        {
            y00 = Vector512.Max(y00, Vector512<float>.Zero); y01 = Vector512.Max(y01, Vector512<float>.Zero);
            y10 = Vector512.Max(y10, Vector512<float>.Zero); y11 = Vector512.Max(y11, Vector512<float>.Zero);
        }
        StoreRow(y00, y01, dst, cols);
        if (rows == 2) StoreRow(y10, y11, dst + ow, cols);
    }

    /// <summary>Interleaves the left and right outputs of 16 tiles into 32 columns and stores the first cols of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector512<float> left, Vector512<float> right, float* dst, int cols)
    {
        Store(Avx512F.PermuteVar16x32x2(left, InterleaveLo, right), dst, Math.Min(16, cols));
        if (cols > 16) Store(Avx512F.PermuteVar16x32x2(left, InterleaveHi, right), dst + 16, cols - 16);
    }

    /// <summary><see cref="OutputTiles16"/> lane by lane, the same additions in the same order (and <see cref="Math.Max(float, float)"/>, Vector512.Max's scalar twin).</summary>
    private static void OutputTilesScalar(float* src, nint xiStride, bool hasBias, float bias, bool relu, float* dst, int ow, int cols, int rows)
    {
        int tiles = (cols + 1) / 2;
        for (int l = 0; l < tiles; l++)
        {
            float M(int xi) => src[xi * xiStride + l];
            float s0 = M(0) + M(4) + M(8), e0 = M(4) - M(8) - M(12);
            float s1 = M(1) + M(5) + M(9), e1 = M(5) - M(9) - M(13);
            float s2 = M(2) + M(6) + M(10), e2 = M(6) - M(10) - M(14);
            float s3 = M(3) + M(7) + M(11), e3 = M(7) - M(11) - M(15);
            float y00 = s0 + s1 + s2, y01 = s1 - s2 - s3, y10 = e0 + e1 + e2, y11 = e1 - e2 - e3;
            if (hasBias) { y00 += bias; y01 += bias; y10 += bias; y11 += bias; }
            if (relu) { y00 = Math.Max(y00, 0f); y01 = Math.Max(y01, 0f); y10 = Math.Max(y10, 0f); y11 = Math.Max(y11, 0f); }
            bool right = 2 * l + 1 < cols;
            dst[2 * l] = y00;
            if (right) dst[2 * l + 1] = y01;
            if (rows == 2)
            {
                dst[ow + 2 * l] = y10;
                if (right) dst[ow + 2 * l + 1] = y11;
            }
        }
    }

    [ThreadStatic] private static float[]? t_weights;
    [ThreadStatic] private static float[]? t_u;
    [ThreadStatic] private static float[]? t_m;
    [ThreadStatic] private static float[]? t_pad;
    [ThreadStatic] private static (int H, int W, int P, int Hp, int Wp) t_padShape;

    /// <summary>The calling thread's buffer for the transformed weights (shared by the call's work items).</summary>
    private static float[] WeightScratch(int length) => ThreadScratch.Get(ref t_weights, length);

    private static float[] UScratch(int length) => ThreadScratch.Get(ref t_u, length);

    private static float[] MScratch(int length) => ThreadScratch.Get(ref t_m, length);

    /// <summary>This thread's zero-padded input plane (only the input's own positions are written per use).</summary>
    private static float[] PadScratch(Shape s) => ThreadScratch.Padded(ref t_pad, ref t_padShape, (s.H, s.W, s.P, s.Hp, s.Wp), s.Hp * s.Wp);
}
