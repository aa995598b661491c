using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetBlocks.Kernels;

/// <summary>
/// 1×1 stride-1 convolutions on AVX-512, straight from and to NCHW: y[n, o, p] = Σ_c w[o, c] · x[n, c, p] (+ b[o], then
/// max(·, 0) when asked), one register tile of <see cref="Rows"/> output channels × 48 pixels at a time, the weights
/// broadcast from a packed copy ([group][block of 8 outputs][c][8]) and the input's rows read in place. It is the GEMM
/// of im2col's 1×1 case without the GEMM's per-call work: no packing of the weights per sample (an inference plan packs
/// them once), no edge tiles written through a scalar loop (a 12×12 plane is 144 pixels, 4½ of the GEMM's 32-column
/// panels), and the bias and ReLU in the tile's store instead of a second pass over the output.
/// <para>
/// The input gradient of a 1×1 convolution is the same kernel on dy with the weights transposed within each group
/// (<see cref="PackBackwardData"/>).
/// </para>
/// <para>
/// Bits: every output is one fused multiply-add chain from zero over the input channels in order, in blocks of the
/// GEMM's depth (<see cref="Gemm.Blocking.KC"/>, 256 floats) whose sums are added in order, then the bias added and the
/// ReLU taken: exactly what <see cref="Gemm"/> (beta 0, alpha 1) followed by the bias pass computes, so switching a
/// layer between the two changes no bit (<c>PointwiseConvolutionTests</c>). Each output is computed by one thread, so
/// results do not depend on the thread count.
/// </para>
/// </summary>
internal static unsafe class PointwiseConvolution
{
    /// <summary>Output channels per register tile: one broadcast weight each per input channel.</summary>
    private const int Rows = 8;

    /// <summary>Pixels per full register tile: three 16-float vectors per row (24 accumulators).</summary>
    private const int TilePixels = 48;

    /// <summary>Input channels per chain: the AVX-512 GEMM's KC, whose k blocks this kernel's sums follow.</summary>
    private static int KBlock => Gemm.Blocking.Avx512.KC;

    /// <summary>Whether this machine runs the kernel at all.</summary>
    internal static bool IsSupported => Avx512F.IsSupported;

    /// <summary>Whether the kernel handles this forward: a 1×1, stride-1, unpadded convolution (any groups).</summary>
    internal static bool CanForward(ConvGeometry g) => IsSupported && g.IsPointwise;

    /// <summary>Floats of the forward's packed weights: groups · ⌈(OC/groups)/8⌉·8 · C/groups (rows past OC/groups are zero).</summary>
    internal static int PackedLength(ConvGeometry g) => g.Groups * RoundUp(g.CoutPerGroup) * g.CinPerGroup;

    /// <summary>Floats of the input gradient's packed weights: groups · ⌈(C/groups)/8⌉·8 · OC/groups.</summary>
    private static int PackedBackwardDataLength(ConvGeometry g) => g.Groups * RoundUp(g.CinPerGroup) * g.CoutPerGroup;

    /// <summary>w (OC, C/groups, 1, 1) re-laid out as [group][block of 8 outputs][c][8], zero past the group's outputs.</summary>
    internal static void PackForward(float* w, float* packed, ConvGeometry g)
        => Pack(w, packed, g.Groups, outs: g.CoutPerGroup, ins: g.CinPerGroup, transpose: false);

    /// <summary>
    /// The weights of the input gradient dx = Wᵀ · dy, packed as the forward's are for a convolution from OC/groups to
    /// C/groups channels per group: [group][block of 8 inputs][o][8].
    /// </summary>
    internal static void PackBackwardData(float* w, float* packed, ConvGeometry g)
        => Pack(w, packed, g.Groups, outs: g.CinPerGroup, ins: g.CoutPerGroup, transpose: true);

    /// <summary>
    /// Packs the weights of a convolution from <paramref name="ins"/> to <paramref name="outs"/> channels per group:
    /// the forward's w[gi·outs + o, c], or transposed, the forward weights w[gi·ins + c, o] read as w'[o, c].
    /// </summary>
    private static void Pack(float* w, float* packed, int groups, int outs, int ins, bool transpose)
    {
        int blocks = RoundUp(outs) / Rows;
        float* dst = packed;
        for (int gi = 0; gi < groups; gi++)
        for (int ob = 0; ob < blocks; ob++)
        for (int c = 0; c < ins; c++)
        for (int r = 0; r < Rows; r++)
        {
            int o = ob * Rows + r;
            *dst++ = o >= outs ? 0f
                : transpose ? w[(long)(gi * ins + c) * outs + o]
                : w[(long)(gi * outs + o) * ins + c];
        }
    }

    /// <summary>
    /// y = conv1×1(x, w) + bias, then max(y, 0) with <paramref name="relu"/>; y overwritten. Packs w into a thread
    /// scratch first. Requires <see cref="CanForward"/>.
    /// </summary>
    internal static void Forward(float* x, float* w, float* bias, float* y, ConvGeometry g, int threads, bool relu)
    {
        float[] packed = ThreadScratch.Get(ref t_pack, PackedLength(g));
        fixed (float* pw = packed)
        {
            PackForward(w, pw, g);
            ForwardPacked(x, pw, bias, y, g, threads, relu);
        }
    }

    /// <summary><see cref="Forward"/> from weights packed by <see cref="PackForward"/> (an inference plan packs them once).</summary>
    internal static void ForwardPacked(float* x, float* packed, float* bias, float* y, ConvGeometry g, int threads, bool relu)
        => Run(x, packed, bias, y, new Shape(g.N, g.C, g.OC, g.Groups, g.OutPlane), threads, relu);

    /// <summary>dx = Wᵀ · dy per group, dx overwritten. Requires <see cref="CanForward"/>.</summary>
    internal static void BackwardData(float* dy, float* w, float* dx, ConvGeometry g, int threads)
    {
        float[] packed = ThreadScratch.Get(ref t_pack, PackedBackwardDataLength(g));
        fixed (float* pw = packed)
        {
            PackBackwardData(w, pw, g);
            Run(dy, pw, null, dx, new Shape(g.N, g.OC, g.C, g.Groups, g.OutPlane), threads, relu: false);
        }
    }

    [ThreadStatic] private static float[]? t_pack;

    private static int RoundUp(int channels) => (channels + Rows - 1) / Rows * Rows;

    /// <summary>The kernel's problem: N samples of In channels to Out channels in Groups groups, over planes of Plane pixels.</summary>
    private readonly record struct Shape(int N, int In, int Out, int Groups, int Plane)
    {
        public int InPerGroup => In / Groups;
        public int OutPerGroup => Out / Groups;
        public int Blocks => RoundUp(OutPerGroup) / Rows;
    }

    /// <summary>Output-channel blocks per work item when a batch too small for the threads is split finer (32 channels).</summary>
    private const int BlocksPerPart = 4;

    private static void Run(float* x, float* packed, float* bias, float* y, Shape s, int threads, bool relu)
    {
        if (s.N == 0) return;
        // per (sample, group) when there are enough of them for the threads; else per (sample, group, tile of 48 pixels,
        // 32 output channels) (batch 1): every output is still computed by one thread in the same order
        int units = s.N * s.Groups;
        bool fine = threads > 1 && units < threads;
        int tiles = (s.Plane + TilePixels - 1) / TilePixels, chunks = (s.Blocks + BlocksPerPart - 1) / BlocksPerPart;
        var body = new Body { X = x, W = packed, Bias = bias, Y = y, S = s, Relu = relu, Fine = fine, Tiles = tiles, Chunks = chunks };
        Threading.For(fine ? units * tiles * chunks : units, ref body, threads);
    }

    private struct Body : IParallelBody
    {
        public float* X, W, Bias, Y;
        public Shape S;
        public bool Relu;
        /// <summary>One item per (sample, group, tile, chunk of output blocks) rather than per (sample, group).</summary>
        public bool Fine;
        public int Tiles, Chunks;

        public readonly void Invoke(int item)
        {
            var s = S;
            if (!Fine)
            {
                Unit(item, 0, s.Plane, 0, s.Blocks);
                return;
            }
            int unit = item / (Tiles * Chunks), rest = item % (Tiles * Chunks), tile = rest / Chunks, chunk = rest % Chunks;
            Unit(unit, tile * TilePixels, Math.Min(s.Plane, (tile + 1) * TilePixels),
                chunk * BlocksPerPart, Math.Min(s.Blocks, (chunk + 1) * BlocksPerPart));
        }

        /// <summary>Pixels [p0, p1) of output blocks [b0, b1) of (sample, group) <paramref name="unit"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void Unit(int unit, int pStart, int pEnd, int b0, int b1)
        {
            var s = S;
            int n = unit / s.Groups, gi = unit % s.Groups;
            int cg = s.InPerGroup, og = s.OutPerGroup, plane = s.Plane, kBlock = KBlock;
            float* xs = X + ((long)n * s.In + (long)gi * cg) * plane;
            float* ys = Y + ((long)n * s.Out + (long)gi * og) * plane;
            float* ws = W + (long)gi * s.Blocks * Rows * cg;
            float* bs = Bias == null ? null : Bias + gi * og;
            for (int p0 = pStart; p0 < pEnd; p0 += TilePixels)
            {
                int pixels = Math.Min(TilePixels, pEnd - p0);
                if (p0 + TilePixels < pEnd) PrefetchTile(xs + p0 + TilePixels, plane, cg);
                for (int ob = b0; ob < b1; ob++)
                {
                    int rows = Math.Min(Rows, og - ob * Rows);
                    float* yt = ys + (long)ob * Rows * plane + p0;
                    float* bt = bs == null ? null : bs + ob * Rows;
                    for (int k0 = 0; k0 < cg; k0 += kBlock)
                    {
                        int k = Math.Min(kBlock, cg - k0);
                        var epilogue = new Epilogue(yt, plane, rows, k0 == 0, k0 + k >= cg, bt, Relu);
                        float* xt = xs + (long)k0 * plane + p0;
                        float* wt = ws + ((long)ob * cg + k0) * Rows;
                        if (pixels == TilePixels) Tile3(xt, plane, wt, k, epilogue);
                        else
                            for (int v = 0; v < pixels; v += 16)
                                Tile1(xt + v, plane, wt, k, epilogue.At(v), Math.Min(16, pixels - v));
                    }
                }
            }
        }
    }

    /// <summary>
    /// Asks for the next tile's input (48 pixels of each of <paramref name="channels"/> rows, <paramref name="ld"/> apart)
    /// while this one computes: rows a plane apart are too many streams for the hardware prefetchers to follow.
    /// </summary>
    private static void PrefetchTile(float* x, nint ld, int channels)
    {
        for (int c = 0; c < channels; c++, x += ld)
        {
            Sse.Prefetch0(x);
            Sse.Prefetch0(x + 16);
            Sse.Prefetch0(x + 32);
            Sse.Prefetch0(x + TilePixels - 1);
        }
    }

    /// <summary>
    /// How a tile's sums reach y: added to what an earlier k block left there (not <see cref="First"/>), then on the last
    /// block plus the bias and through the ReLU; only the tile's first <see cref="Rows"/> rows are written.
    /// </summary>
    private readonly struct Epilogue(float* y, nint ld, int rows, bool first, bool last, float* bias, bool relu)
    {
        public readonly float* Y = y, Bias = bias;
        public readonly nint Ld = ld;
        public readonly int Rows = rows;
        public readonly bool First = first, Last = last, Relu = relu;

        /// <summary>The same epilogue for the pixels from <paramref name="offset"/> on.</summary>
        public Epilogue At(int offset) => new(Y + offset, Ld, Rows, First, Last, Bias, Relu);

        /// <summary>The final value of row r from its k block's sum v at pixel offset j: the GEMM's C + t, then + b, then ReLU.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Finish(Vector512<float> v, int r, int j)
        {
            if (!First) v = Avx512F.Add(Vector512.Load(Y + r * Ld + j), v);
            if (!Last) return v;
            if (Bias != null) v = Avx512F.Add(v, Vector512.Create(Bias[r]));
            return Relu ? Vector512.Max(v, Vector512<float>.Zero) : v;
        }

        /// <summary>Row r's three vectors from pixel 0, when the tile has that row.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store3(int r, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2)
        {
            if (r >= Rows) return;
            float* row = Y + r * Ld;
            Vector512.Store(Finish(v0, r, 0), row);
            Vector512.Store(Finish(v1, r, 16), row + 16);
            Vector512.Store(Finish(v2, r, 32), row + 32);
        }

        /// <summary>Row r's first <paramref name="count"/> pixels (1–16), when the tile has that row.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store1(int r, Vector512<float> v, int count)
        {
            if (r >= Rows) return;
            float* row = Y + r * Ld;
            if (count == 16)
            {
                Vector512.Store(Finish(v, r, 0), row);
                return;
            }
            var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
            // what an earlier k block left is read under the mask too: past the row's end may be another row, or nothing
            if (!First) v = Avx512F.Add(Avx512F.MaskLoad(row, mask, Vector512<float>.Zero), v);
            var e = new Epilogue(Y, Ld, Rows, first: true, Last, Bias, Relu);
            Avx512F.MaskStore(row, mask, e.Finish(v, r, 0));
        }
    }

    /// <summary>8 rows × 48 pixels: 24 chains over k input channels, x's rows <paramref name="ldx"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile3(float* x, nint ldx, float* w, int k, in Epilogue e)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        Vector512<float> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        for (int c = 0; c < k; c++)
        {
            var x0 = Vector512.Load(x);
            var x1 = Vector512.Load(x + 16);
            var x2 = Vector512.Load(x + 32);
            var a = Vector512.Create(w[0]);
            c00 = Avx512F.FusedMultiplyAdd(a, x0, c00); c01 = Avx512F.FusedMultiplyAdd(a, x1, c01); c02 = Avx512F.FusedMultiplyAdd(a, x2, c02);
            a = Vector512.Create(w[1]);
            c10 = Avx512F.FusedMultiplyAdd(a, x0, c10); c11 = Avx512F.FusedMultiplyAdd(a, x1, c11); c12 = Avx512F.FusedMultiplyAdd(a, x2, c12);
            a = Vector512.Create(w[2]);
            c20 = Avx512F.FusedMultiplyAdd(a, x0, c20); c21 = Avx512F.FusedMultiplyAdd(a, x1, c21); c22 = Avx512F.FusedMultiplyAdd(a, x2, c22);
            a = Vector512.Create(w[3]);
            c30 = Avx512F.FusedMultiplyAdd(a, x0, c30); c31 = Avx512F.FusedMultiplyAdd(a, x1, c31); c32 = Avx512F.FusedMultiplyAdd(a, x2, c32);
            a = Vector512.Create(w[4]);
            c40 = Avx512F.FusedMultiplyAdd(a, x0, c40); c41 = Avx512F.FusedMultiplyAdd(a, x1, c41); c42 = Avx512F.FusedMultiplyAdd(a, x2, c42);
            a = Vector512.Create(w[5]);
            c50 = Avx512F.FusedMultiplyAdd(a, x0, c50); c51 = Avx512F.FusedMultiplyAdd(a, x1, c51); c52 = Avx512F.FusedMultiplyAdd(a, x2, c52);
            a = Vector512.Create(w[6]);
            c60 = Avx512F.FusedMultiplyAdd(a, x0, c60); c61 = Avx512F.FusedMultiplyAdd(a, x1, c61); c62 = Avx512F.FusedMultiplyAdd(a, x2, c62);
            a = Vector512.Create(w[7]);
            c70 = Avx512F.FusedMultiplyAdd(a, x0, c70); c71 = Avx512F.FusedMultiplyAdd(a, x1, c71); c72 = Avx512F.FusedMultiplyAdd(a, x2, c72);
            x += ldx;
            w += Rows;
        }
        e.Store3(0, c00, c01, c02);
        e.Store3(1, c10, c11, c12);
        e.Store3(2, c20, c21, c22);
        e.Store3(3, c30, c31, c32);
        e.Store3(4, c40, c41, c42);
        e.Store3(5, c50, c51, c52);
        e.Store3(6, c60, c61, c62);
        e.Store3(7, c70, c71, c72);
    }

    /// <summary>8 rows × <paramref name="count"/> (1–16) pixels: the tail of a plane that is not a multiple of 48.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1(float* x, nint ldx, float* w, int k, in Epilogue e, int count)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
        for (int c = 0; c < k; c++)
        {
            // masked: the lanes past the plane's end may lie past the buffer's
            var xv = count == 16 ? Vector512.Load(x) : Avx512F.MaskLoad(x, mask, Vector512<float>.Zero);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[0]), xv, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[1]), xv, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[2]), xv, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[3]), xv, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[4]), xv, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[5]), xv, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[6]), xv, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[7]), xv, c7);
            x += ldx;
            w += Rows;
        }
        e.Store1(0, c0, count);
        e.Store1(1, c1, count);
        e.Store1(2, c2, count);
        e.Store1(3, c3, count);
        e.Store1(4, c4, count);
        e.Store1(5, c5, count);
        e.Store1(6, c6, count);
        e.Store1(7, c7, count);
    }
}
