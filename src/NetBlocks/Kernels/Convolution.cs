using System.Numerics;
using System.Runtime.Intrinsics.X86;

namespace NetBlocks.Kernels;

/// <summary>Shapes of a 2-D convolution: x (N, C, H, W), w (OC, C/groups, KH, KW), y (N, OC, OH, OW).</summary>
public readonly record struct ConvGeometry(int N, int C, int H, int W, int OC, int KH, int KW, int Stride, int Padding, int Groups)
{
    public int OH => (int)(((long)H + 2L * Padding - KH) / Stride + 1);
    public int OW => (int)(((long)W + 2L * Padding - KW) / Stride + 1);
    public int CinPerGroup => C / Groups;
    public int CoutPerGroup => OC / Groups;
    /// <summary>Rows of the column matrix of one group: C/groups · KH · KW.</summary>
    public int PatchSize => CinPerGroup * KH * KW;
    public int OutPlane => OH * OW;
    /// <summary>1×1, stride 1, no padding: the input already is the column matrix.</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && Stride == 1 && Padding == 0;

    /// <summary>
    /// Checks the geometry before a kernel runs on it: positive sizes (the batch may be empty), groups dividing both
    /// channel counts, an output plane of at least 1×1, and x, w, y and one sample's column matrix no larger than a
    /// tensor holds, all in checked 64-bit arithmetic. Once per call.
    /// </summary>
    internal void Validate(string op)
    {
        if (N < 0 || C < 1 || H < 1 || W < 1 || OC < 1 || KH < 1 || KW < 1 || Stride < 1 || Padding < 0 || Groups < 1)
            throw new ArgumentException($"{op}: invalid geometry (N={N}, C={C}, H={H}, W={W}, OC={OC}, KH={KH}, KW={KW}, stride={Stride}, padding={Padding}, groups={Groups})");
        if (C % Groups != 0 || OC % Groups != 0)
            throw new ArgumentException($"{op}: groups {Groups} must divide the {C} input and {OC} output channels");
        if ((long)H + 2L * Padding < KH || (long)W + 2L * Padding < KW || OH < 1 || OW < 1)
            throw new ArgumentException($"{op}: input {H}×{W} padded by {Padding} gives no {KH}×{KW} window at stride {Stride}");
        Sizes.Elements([N, C, H, W], "input", op);
        Sizes.Elements([OC, CinPerGroup, KH, KW], "weight", op);
        Sizes.Elements([N, OC, OH, OW], "output", op);
        Sizes.Elements([CinPerGroup, KH, KW, OH, OW], "column matrix", op);
    }

    internal long InputElements => (long)N * C * H * W;
    internal long WeightElements => (long)OC * CinPerGroup * KH * KW;
    internal long OutputElements => (long)N * OC * OH * OW;
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
/// <para>
/// On AVX-512 machines the forward pass and the stride-1 input gradient run <see cref="DirectConvolution"/> instead where
/// it applies (see <see cref="DirectPays"/>), and the weight gradient runs <see cref="DirectWeightGradient"/> (see
/// <see cref="UsesDirectWeight"/>).
/// </para>
/// <para>
/// Before either, 3×3 stride-1 ungrouped convolutions with enough channels and a large enough plane run
/// <see cref="Winograd"/> F(2×2, 3×3) for the forward pass and the input gradient (see <see cref="WinogradPays"/>);
/// the weight gradient stays on the direct kernel.
/// </para>
/// <para>
/// An inference plan's forwards pass the weights prepared once (<see cref="PackedWeights"/>) and may ask for the ReLU
/// in the store; <see cref="ForwardKernelFor"/> is the one rule that picks the kernel, for them and for every forward.
/// </para>
/// </summary>
public static unsafe class Convolution
{
    /// <summary>y = conv(x, w) + bias. y is overwritten.</summary>
    public static void Forward(float[] x, int xOff, float[] w, int wOff, float[]? bias, int biasOff, float[] y, int yOff, ConvGeometry g)
        => Forward(x, xOff, w, wOff, bias, biasOff, y, yOff, g, ExecutionContext.Current.Threads);

    /// <summary>dx = ∂L/∂x given dy: per group dcols = Wᵀ · dy, folded back with col2im. dx is overwritten.</summary>
    public static void BackwardData(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeometry g)
        => BackwardData(dy, dyOff, w, wOff, dx, dxOff, g, ExecutionContext.Current.Threads);

    /// <summary>dw = Σₙ dy[n] · cols(x[n])ᵀ per group, db = Σ dy over n, h, w. Both overwritten (db may be null).</summary>
    public static void BackwardWeight(float[] dy, int dyOff, float[] x, int xOff, float[] dw, int dwOff, float[]? db, int dbOff, ConvGeometry g)
        => BackwardWeight(dy, dyOff, x, xOff, dw, dwOff, db, dbOff, g, ExecutionContext.Current.Threads);

    /// <summary>
    /// The entry check of every convolution kernel, after <see cref="ConvGeometry.Validate"/>: each buffer long enough for
    /// its count from its offset. A null buffer is allowed only where the kernel takes one (bias, db).
    /// </summary>
    private static void CheckBuffers(string op, params ReadOnlySpan<(string Name, float[]? Data, int Offset, long Count)> buffers)
    {
        foreach (var (name, data, offset, count) in buffers)
        {
            if (data is null)
            {
                if (name is "bias" or "db") continue;
                throw new ArgumentNullException(name, $"{op}: {name} is null");
            }
            Sizes.Region(op, name, data.Length, offset, count);
        }
    }

    /// <summary>Whether the batch is split over the threads (else the GEMMs are).</summary>
    internal static bool SplitsBatch(ConvGeometry g, int threads) => threads > 1 && g.N >= threads;

    /// <summary>Columns a GEMM should have at least: planes smaller than this are batched, several samples side by side.</summary>
    internal static int BlockColumns => ExecutionContext.Current.Policy.BlockColumns; // the policy's: benchmarks try others (1: one sample per GEMM)

    /// <summary>
    /// Planes at least this large run one sample per GEMM. Gathering samples side by side pays for its copies only on
    /// small planes: im2col at 6×6: 62 → 48 ms for a 128→128 3×3 layer's forward and backward, at 12×12 138 → 159 ms
    /// (slower); NiN's 256→256 1×1 at 10×10 (no im2col, N = 100 columns per sample), forward 6.0 → 5.0 ms and input
    /// gradient 6.1 → 4.9 ms with about five samples per GEMM (batch 128, 2 threads, `conv-quick`, the 3×3 and 5×5
    /// layers there running the direct kernels).
    /// </summary>
    internal static int BlockBelow => ExecutionContext.Current.Policy.BlockBelow;

    /// <summary>
    /// Samples per GEMM: 1 for planes of at least <see cref="BlockBelow"/>; else enough samples side by side to reach
    /// it (small planes make GEMMs too narrow to run fast), keeping at least four blocks per thread for balance.
    /// A function of the shapes and the thread count only, so the summation order is too.
    /// </summary>
    internal static int SamplesPerBlock(ConvGeometry g, int threads)
    {
        int plane = g.OutPlane;
        if (plane >= BlockBelow || plane >= BlockColumns) return 1;
        int wanted = (BlockColumns + plane - 1) / plane;
        int cap = Math.Max(1, g.N / (4 * Math.Max(1, threads)));
        return Math.Max(1, Math.Min(wanted, cap));
    }

    /// <summary>
    /// Direct-kernel switch of the current context's policy (<see cref="KernelPolicy.DirectConvolution"/>): null, the
    /// measured rule; true, wherever it applies; false, never. Read on the calling thread, so a test forcing a path in a
    /// context of its own does not change others running concurrently.
    /// </summary>
    internal static bool? ForceDirect => ExecutionContext.Current.Policy.DirectConvolution;

    /// <summary>Winograd switch of the current context's policy (<see cref="KernelPolicy.Winograd"/>): null, the measured rule; true, wherever it applies; false, never.</summary>
    internal static bool? ForceWinograd => ExecutionContext.Current.Policy.Winograd;

    /// <summary>Whether <see cref="Forward"/> runs <see cref="Winograd"/> for this shape (see <see cref="WinogradPays"/>).</summary>
    internal static bool UsesWinogradForward(ConvGeometry g, int threads)
        => Winograd.CanForward(g) && (ForceWinograd ?? (ForceDirect is null && WinogradPays(Winograd.ForwardShape(g), threads)));

    /// <summary>Whether <see cref="BackwardData"/> runs <see cref="Winograd"/> for this shape: the forward's rule on dy with the channels swapped.</summary>
    internal static bool UsesWinogradBackwardData(ConvGeometry g, int threads)
        => Winograd.CanBackwardData(g) && (ForceWinograd ?? (ForceDirect is null && WinogradPays(Winograd.BackwardDataShape(g), threads)));

    /// <summary>
    /// The Winograd rule, for the convolution the kernel would run (input channels s.C, output channels s.OC, output
    /// plane s.OH × s.OW): on AVX-512 machines (elsewhere the transforms run lane by lane), when both channel counts are
    /// at least <see cref="WinogradMinChannels"/>, the output plane at least <see cref="WinogradMinPlane"/> per axis, and
    /// there is at least one work item per thread. Elsewhere the direct kernel measured faster: on fewer channels the
    /// transforms cost about as much as the GEMMs save, and on small planes most of a 16-tile vector is empty (and on odd
    /// ones the clipped edge tiles waste a further quarter).
    /// <para>
    /// Measured on a quiet 2-core Zen 5 (batch 128, 2 threads, wall time, Winograd forced on against the direct kernel,
    /// alternating 5 rounds in one process: `conv-quick --net vgg96 --ab-winograd 5`), direct / Winograd time, forward
    /// and input gradient: 32→64 @24 1.14 / 1.08, 32→32 @24 1.04 / 1.05, 64→64 @24 1.23 / 1.24, 64→128 @12 1.17 / 1.18,
    /// 128→128 @12 1.31 / 1.27; not taken: 1→16 @96 0.52 / 0.59, 16→32 @48 0.89 / 0.89, 16→32 @16 0.91 / 0.92,
    /// 32→64 @8 0.84 / 0.87, 64→64 @8 1.03 / 1.00, 64→128 @7 0.83 / 0.87, 128→128 @7 0.95 / 0.95, 128→128 @6
    /// 1.06 / 1.07, NiN's 256→384 @4 0.89 / 0.92.
    /// </para>
    /// </summary>
    internal static bool WinogradPays(Winograd.Shape s, int threads)
        => Avx512F.IsSupported && s.C >= WinogradMinChannels && s.OC >= WinogradMinChannels
           && s.OH >= WinogradMinPlane && s.OW >= WinogradMinPlane && Winograd.WorkItems(s) >= threads;

    internal const int WinogradMinChannels = 32;
    internal const int WinogradMinPlane = 12;

    /// <summary>Whether <see cref="Forward"/> runs <see cref="DirectConvolution"/> for this shape (see <see cref="DirectPays"/>).</summary>
    internal static bool UsesDirectForward(ConvGeometry g, int threads)
        => !g.IsPointwise && DirectConvolution.CanForward(g) && (ForceDirect ?? DirectPays(g.N, g.Groups, g.CoutPerGroup, threads));

    /// <summary>1×1 switch of the current context's policy: <see cref="KernelPolicy.PointwiseConvolution"/>, else <see cref="ForceDirect"/>.</summary>
    internal static bool? ForcePointwise => ExecutionContext.Current.Policy.PointwiseConvolution ?? ForceDirect;

    /// <summary>
    /// Whether a 1×1 stride-1 layer's forward and input gradient run <see cref="PointwiseConvolution"/> rather than
    /// im2col's GEMM: on AVX-512, wherever it gives the GEMM's bits, i.e. while the GEMM runs its AVX-512 kernels (a
    /// context forcing another GEMM path keeps that path) and is not a matrix-vector product.
    /// <para>
    /// Measured on the 2-core Zen 5, batch 128, 2 threads, ms per pass forward / input gradient, GEMM → 1×1 kernel
    /// (`conv-quick --pointwise off|on`, alternating, two rounds each): RegNet's 32→32 @48 12.4–9.9 / 8.1–6.2 → 7.2–6.0 /
    /// 7.2–6.1, 32→32 @24 3.2–2.9 / 2.0–1.6 → 1.4–1.3 / 1.1–1.2, 32→80 @24 6.8–6.0 / 5.0–4.5 → 3.1 / 3.4–3.6, 80→80 @12
    /// 3.5–2.5 / 1.8 → 1.4–1.2 / 1.2; NiN's 256→256 @10 12.3–11.5 / 9.7–9.5 → 9.6–9.8 / 9.5–9.6, 96→96 @22 10.2 / 9.5 →
    /// 8.9 / 9.9, 384→384 @4 4.1 / 3.7 → 3.1 / 3.2, 384→10 @4 0.44 / 0.40 → 0.13 / 0.15. The forward gains most: the GEMM
    /// packed the weights and wrote its edge tiles per sample and passed over the output again for the bias.
    /// </para>
    /// </summary>
    internal static bool UsesPointwise(ConvGeometry g, int threads)
        => PointwiseConvolution.CanForward(g) && Gemm.ForcedPath is (GemmPath.Auto or GemmPath.Avx512) && !GemmIsMatrixVector(g, threads)
           && (ForcePointwise ?? true);

    /// <summary>
    /// Whether im2col's GEMMs for this 1×1 layer are matrix-vector products (one output or input channel per group, or
    /// one column: a single pixel per sample, one sample per GEMM), which <see cref="Gemm"/> sums in another order
    /// (<c>Gemv</c>'s): such layers keep the GEMM, so that a layer's bits never depend on which of the two kernels ran.
    /// </summary>
    private static bool GemmIsMatrixVector(ConvGeometry g, int threads)
        => g.CoutPerGroup == 1 || g.CinPerGroup == 1 || (long)g.OutPlane * SamplesPerBlock(g, threads) == 1;

    /// <summary>Whether <see cref="BackwardData"/> runs <see cref="DirectConvolution"/> for this shape (stride 1 only).</summary>
    internal static bool UsesDirectBackwardData(ConvGeometry g, int threads)
        => !g.IsPointwise && DirectConvolution.CanBackwardData(g) && (ForceDirect ?? DirectPays(g.N, g.Groups, g.CinPerGroup, threads));

    /// <summary>
    /// The dispatch rule: on AVX-512 machines the direct kernel runs every convolution it can take (forward: C_out/groups a
    /// multiple of 16, stride 1 or 2; input gradient: also stride 1 and C_in/groups a multiple of 16), except 1×1 stride-1
    /// ones (their GEMM needs no im2col and runs as fast: 256→256 1×1 @10 forward 9.9 vs 7.6 ms, 32→80 1×1 @24 1.7 vs
    /// 2.4 ms, the others within noise) and batches too small to give every thread a (sample, group, 16–32-channel chunk),
    /// where the GEMM splits over the threads and the direct kernel would not.
    /// <para>
    /// Measured on a 2-core Zen 5 (AVX-512, 237 GFLOP/s FMA peak per core), batch 128, 2 threads, ms per pass forward /
    /// input gradient, im2col + GEMM → direct (conv-quick, tiered compilation off so that both run optimised code):
    /// 96→256 5×5 p2 @10: 64.6/59.5 → 32.2/33.5; 256→384 3×3 p1 @4: 16.4/17.5 → 9.0/9.2;
    /// 80→80 3×3 g5 @12: 5.5/5.1 → 1.7/1.4; 80→80 3×3/2 g5 @24 forward 9.3 → 2.5; 32→32 3×3 g2 @24: 5.6/5.3 → 2.3/2.2;
    /// 32→32 3×3/2 g2 @48 forward 10.0 → 3.2; VGG 3×3 layers from 16→32 @48 to 128→128 @6 1.5–1.8× faster both ways
    /// (64→64 @24: 19.6/21.3 → 12.8/12.7); at batch 16, 64→64 3×3 @112 77/61 → 37/44 and 3→64 3×3 @112 forward
    /// 5.6 → 3.7. No shape it takes measured slower (1→16 3×3 @96 forward: equal).
    /// </para>
    /// </summary>
    internal static bool DirectPays(int n, int groups, int outPerGroup, int threads)
    {
        if (n >= threads) return true;
        int block = outPerGroup % 32 == 0 ? 32 : 16;
        return (long)n * groups * Math.Max(1, outPerGroup / block) >= threads;
    }

    /// <summary>The kernels a forward convolution can run.</summary>
    internal enum ForwardKernel
    {
        /// <summary>im2col (none for 1×1 stride 1) + GEMM, per sample or per block of samples.</summary>
        Im2Col,
        /// <summary><see cref="DirectConvolution"/>: weights packed [group][chunk][ci][kh][kw][block].</summary>
        Direct,
        /// <summary><see cref="Winograd"/> F(2×2, 3×3): weights transformed to V [16][OC][C].</summary>
        Winograd,
        /// <summary><see cref="PointwiseConvolution"/> (1×1 stride 1): weights packed [group][block of 8 outputs][c][8].</summary>
        Pointwise,
    }

    /// <summary>
    /// The kernel <see cref="Forward"/> runs for layer g on <paramref name="threads"/> threads under the current policy:
    /// the one place that chooses it (Winograd where <see cref="UsesWinogradForward"/>, else the direct kernel where
    /// <see cref="UsesDirectForward"/>, else im2col + GEMM). Depends on the input's shape, not only the weights'.
    /// </summary>
    internal static ForwardKernel ForwardKernelFor(ConvGeometry g, int threads)
        => UsesWinogradForward(g, threads) ? ForwardKernel.Winograd
            : UsesDirectForward(g, threads) ? ForwardKernel.Direct
            : UsesPointwise(g, threads) ? ForwardKernel.Pointwise
            : ForwardKernel.Im2Col;

    internal static void Forward(float[] x, int xOff, float[] w, int wOff, float[]? bias, int biasOff, float[] y, int yOff, ConvGeometry g, int threads)
        => Forward(x, xOff, w, wOff, bias, biasOff, y, yOff, g, threads, prepared: null, relu: false);

    /// <summary>
    /// y = conv(x, w) + bias, then with <paramref name="relu"/> max(y, 0) inside the kernel's store (the direct kernel's
    /// transpose, Winograd's output transform, im2col's bias pass): bit for bit the convolution followed by F.Relu
    /// (−0 becomes +0; a NaN stays that NaN, as F.Relu's vector lanes keep it). With <paramref name="prepared"/> (made from
    /// this very w by <see cref="PackedWeights.Prepare"/>), the direct and Winograd kernels read its packed or
    /// transformed weights instead of re-laying w out: the same values in the same order, so the same bits.
    /// </summary>
    internal static void Forward(float[] x, int xOff, float[] w, int wOff, float[]? bias, int biasOff, float[] y, int yOff, ConvGeometry g, int threads,
        PackedWeights? prepared, bool relu)
    {
        g.Validate("conv2d");
        CheckBuffers("conv2d", (nameof(x), x, xOff, g.InputElements), (nameof(w), w, wOff, g.WeightElements),
            (nameof(bias), bias, biasOff, g.OC), (nameof(y), y, yOff, g.OutputElements));
        prepared?.CheckFits(g);
        var kernel = ForwardKernelFor(g, threads);
        float[]? form = prepared?.For(kernel, w, wOff, g, threads);
        if (kernel != ForwardKernel.Im2Col)
        {
            // the kernel's own packing of w (pf null) or the form prepared once
            fixed (float* px = x, pw = w, py = y, pb = bias, pf = form)
            {
                float* xs = px + xOff, ws = pw + wOff, ys = py + yOff, b = pb == null ? null : pb + biasOff;
                switch (kernel)
                {
                    case ForwardKernel.Winograd:
                        if (pf == null) Winograd.Forward(xs, ws, b, ys, g, threads, relu);
                        else Winograd.ForwardTransformed(xs, pf, b, ys, g, threads, relu);
                        break;
                    case ForwardKernel.Direct:
                        if (pf == null) DirectConvolution.Forward(xs, ws, b, ys, g, threads, relu);
                        else DirectConvolution.ForwardPacked(xs, pf, b, ys, g, threads, relu);
                        break;
                    default:
                        if (pf == null) PointwiseConvolution.Forward(xs, ws, b, ys, g, threads, relu);
                        else PointwiseConvolution.ForwardPacked(xs, pf, b, ys, g, threads, relu);
                        break;
                }
            }
            return;
        }
        bool split = SplitsBatch(g, threads);
        int nb = SamplesPerBlock(g, threads), blocks = (g.N + nb - 1) / nb;
        fixed (float* px = x, pw = w, py = y, pb = bias)
        {
            var body = new ForwardBody
            {
                X = px + xOff, W = pw + wOff, Bias = pb == null ? null : pb + biasOff, Y = py + yOff, G = g, Block = nb,
                GemmThreads = split ? 1 : threads, Relu = relu,
            };
            if (split) Threading.For(blocks, ref body, threads);
            else for (int i = 0; i < blocks; i++) body.Invoke(i);
        }
    }

    internal static void BackwardData(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeometry g, int threads)
    {
        g.Validate("conv2d backward (input)");
        CheckBuffers("conv2d backward (input)", (nameof(dy), dy, dyOff, g.OutputElements), (nameof(w), w, wOff, g.WeightElements),
            (nameof(dx), dx, dxOff, g.InputElements));
        if (UsesWinogradBackwardData(g, threads))
        {
            fixed (float* pdy = dy, pw = w, pdx = dx)
                Winograd.BackwardData(pdy + dyOff, pw + wOff, pdx + dxOff, g, threads);
            return;
        }
        if (UsesDirectBackwardData(g, threads))
        {
            fixed (float* pdy = dy, pw = w, pdx = dx)
                DirectConvolution.BackwardData(pdy + dyOff, pw + wOff, pdx + dxOff, g, threads);
            return;
        }
        if (UsesPointwise(g, threads))
        {
            fixed (float* pdy = dy, pw = w, pdx = dx)
                PointwiseConvolution.BackwardData(pdy + dyOff, pw + wOff, pdx + dxOff, g, threads);
            return;
        }
        bool split = SplitsBatch(g, threads);
        int nb = SamplesPerBlock(g, threads), blocks = (g.N + nb - 1) / nb;
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            var body = new BackwardDataBody
            {
                Dy = pdy + dyOff, W = pw + wOff, Dx = pdx + dxOff, G = g, Block = nb,
                GemmThreads = split ? 1 : threads,
            };
            if (split) Threading.For(blocks, ref body, threads);
            else for (int i = 0; i < blocks; i++) body.Invoke(i);
        }
    }

    /// <summary>Direct weight-gradient switch of the current context's policy, as <see cref="ForceDirect"/> (which it overrides when set).</summary>
    internal static bool? ForceDirectWeight => ExecutionContext.Current.Policy.DirectWeightGradient;

    /// <summary>
    /// Whether <see cref="BackwardWeight"/> runs <see cref="DirectWeightGradient"/> for this shape: wherever it applies
    /// (AVX-512, C_out/groups a multiple of 16, a generated tile for the kernel size: 3×3 and 5×5, any stride and padding,
    /// any batch: its work splits over input-channel ranges too) but 1×1 stride-1, which needs no im2col and has no tile.
    /// <para>
    /// Measured on a 2-core Zen 5, batch 128, 2 threads, ms for dW + db, im2col + GEMM → direct (conv-quick, tiered
    /// compilation off, training processes paused): 96→256 5×5 p2 @10 48–52 → 39–42; 256→384 3×3 p1 @4 13–18 → 10–11;
    /// 80→80 3×3 g5 @12 5.8 → 1.8; 80→80 3×3/2 g5 @24 9.1 → 2.9; 32→32 3×3 g2 @24 6.7 → 2.9; 32→32 3×3/2 g2 @48
    /// 10.4 → 3.6; 1→32 3×3/2 @96 6.5 → 4.9. No shape it takes measured slower.
    /// </para>
    /// </summary>
    internal static bool UsesDirectWeight(ConvGeometry g, int threads)
        => !g.IsPointwise && DirectWeightGradient.CanBackwardWeight(g) && (ForceDirectWeight ?? ForceDirect ?? true);

    internal static void BackwardWeight(float[] dy, int dyOff, float[] x, int xOff, float[] dw, int dwOff, float[]? db, int dbOff, ConvGeometry g, int threads)
    {
        g.Validate("conv2d backward (weight)");
        CheckBuffers("conv2d backward (weight)", (nameof(dy), dy, dyOff, g.OutputElements), (nameof(x), x, xOff, g.InputElements),
            (nameof(dw), dw, dwOff, g.WeightElements), (nameof(db), db, dbOff, g.OC));
        if (UsesDirectWeight(g, threads))
        {
            fixed (float* pdy = dy, px = x, pdw = dw)
                DirectWeightGradient.BackwardWeight(pdy + dyOff, px + xOff, pdw + dwOff, g, threads);
            BiasGradient(dy, dyOff, db, dbOff, g, threads);
            return;
        }
        int wsize = g.OC * g.PatchSize;
        int chunks = SplitsBatch(g, threads) ? threads : 1;
        // chunk 0 sums into dw, the others into their own slice of the calling thread's partial buffer (not the pool: one
        // buffer per distinct weight size would stay retained there); the slices are added in chunk order below
        float[]? partial = chunks > 1 ? PartialScratch((chunks - 1) * wsize) : null;
        fixed (float* pdy = dy, px = x, pdw = dw, ppart = partial)
        {
            var body = new BackwardWeightBody
            {
                Dy = pdy + dyOff, X = px + xOff, Dw = pdw + dwOff, Partial = ppart, G = g, Chunks = chunks, Block = SamplesPerBlock(g, threads),
                GemmThreads = chunks > 1 ? 1 : threads,
            };
            if (chunks > 1) Threading.For(chunks, ref body, threads);
            else body.Invoke(0);
            for (int c = 1; c < chunks; c++)
                Elementwise.AddInPlace(new Span<float>(pdw + dwOff, wsize), new ReadOnlySpan<float>(ppart + (long)(c - 1) * wsize, wsize));
        }
        BiasGradient(dy, dyOff, db, dbOff, g, threads);
    }

    /// <summary>db = Σ dy over n, h, w per output channel (nothing when db is null).</summary>
    private static void BiasGradient(float[] dy, int dyOff, float[]? db, int dbOff, ConvGeometry g, int threads)
    {
        if (db is null) return;
        fixed (float* pdy = dy, pdb = db)
        {
            int parts = threads > 1 ? Math.Min(g.OC, threads) : 1;
            var bias = new BiasGradBody { Dy = pdy + dyOff, Db = pdb + dbOff, G = g, Parts = parts };
            if (parts > 1) Threading.For(parts, ref bias, threads);
            else bias.Invoke(0);
        }
    }

    [ThreadStatic] private static float[]? t_partial;

    /// <summary>The calling thread's buffer for the per-chunk weight-gradient sums.</summary>
    private static float[] PartialScratch(int length) => ThreadScratch.Get(ref t_partial, length);

    [ThreadStatic] private static float[]? t_cols;
    [ThreadStatic] private static float[]? t_rows;

    /// <summary>This thread's im2col buffer, at least <paramref name="length"/> floats.</summary>
    private static float[] Scratch(int length) => ThreadScratch.Get(ref t_cols, length);

    /// <summary>This thread's buffer for a block's output or output-gradient rows (og × samples·plane).</summary>
    private static float[] RowScratch(int length) => ThreadScratch.Get(ref t_rows, length);

    /// <summary>Inside a batch split: 1. Otherwise the threads the GEMM's size is worth (small ones stay on one).</summary>
    private static int GemmThreadsFor(int threads, int m, int n, int k) => threads == 1 ? 1 : Math.Min(threads, Gemm.ThreadsFor(m, n, k));

    /// <summary>
    /// Copies rows of <paramref name="count"/> samples side by side: dst[r, b·plane + j] = src[(n0 + b)·sampleStride + r·plane + j]
    /// for r &lt; rows (dst rows ld apart); with <paramref name="scatter"/> the other way round.
    /// </summary>
    private static void CopyRows(float* src, long sampleStride, int rows, int plane, int count, float* dst, int ld, bool scatter)
    {
        for (int b = 0; b < count; b++)
        for (int r = 0; r < rows; r++)
        {
            float* s = src + b * sampleStride + (long)r * plane;
            float* d = dst + (long)r * ld + b * plane;
            if (scatter) new ReadOnlySpan<float>(d, plane).CopyTo(new Span<float>(s, plane));
            else new ReadOnlySpan<float>(s, plane).CopyTo(new Span<float>(d, plane));
        }
    }

    /// <summary>
    /// Fills cols (patch × count·plane, rows ld = count·plane apart) for samples n0.. of group gi: im2col side by side,
    /// or the input rows themselves for a 1×1 convolution. Returns the B operand: x itself when one pointwise sample.
    /// </summary>
    private static float* Columns(float* x, ConvGeometry g, int n0, int count, int gi, float[]? cols, float* pc)
    {
        int cg = g.CinPerGroup, plane = g.OutPlane, ld = count * plane;
        long inPlane = (long)g.H * g.W;
        float* xs = x + ((long)n0 * g.C + gi * cg) * inPlane;
        if (g.IsPointwise)
        {
            if (count == 1) return xs;
            CopyRows(xs, g.C * inPlane, cg, plane, count, pc, ld, scatter: false);
            return pc;
        }
        for (int b = 0; b < count; b++)
            Im2Col.Unfold(new ReadOnlySpan<float>(xs + b * g.C * inPlane, (int)(cg * inPlane)), cg, g.H, g.W, g.KH, g.KW, g.Stride, g.Padding,
                g.OH, g.OW, cols.AsSpan(b * plane), ld);
        return pc;
    }

    /// <summary>y[n] = W · cols(x[n]) + b for a block of samples (every group), max(·, 0) of it with <see cref="Relu"/>.</summary>
    private struct ForwardBody : IParallelBody
    {
        public float* X, W, Bias, Y;
        public ConvGeometry G;
        public int GemmThreads, Block;
        /// <summary>max(·, 0) in the bias pass (the inference plan's fused ReLU), while the block's rows are in cache.</summary>
        public bool Relu;

        public readonly void Invoke(int block)
        {
            var g = G;
            int patch = g.PatchSize, plane = g.OutPlane, og = g.CoutPerGroup;
            int n0 = block * Block, count = Math.Min(Block, g.N - n0), ld = count * plane;
            float[]? cols = g.IsPointwise && count == 1 ? null : Scratch(patch * ld);
            float[]? rows = count == 1 ? null : RowScratch(og * ld);
            fixed (float* pc = cols, pr = rows)
            {
                for (int gi = 0; gi < g.Groups; gi++)
                {
                    float* b = Columns(X, g, n0, count, gi, cols, pc);
                    float* ys = Y + ((long)n0 * g.OC + gi * og) * plane;
                    float* c = count == 1 ? ys : pr;
                    Gemm.Sgemm(Gemm.ForcedPath, GemmThreadsFor(GemmThreads, og, ld, patch), false, false, og, ld, patch, 1f,
                        W + (long)gi * og * patch, patch, b, ld, 0f, c, ld);
                    if (count > 1) CopyRows(ys, (long)g.OC * plane, og, plane, count, pr, ld, scatter: true);
                }
            }
            if (Relu)
            {
                for (int n = n0; n < n0 + count; n++)
                for (int oc = 0; oc < g.OC; oc++)
                    AddBiasRelu(Y + ((long)n * g.OC + oc) * plane, plane, Bias != null, Bias == null ? 0f : Bias[oc]);
            }
            else if (Bias != null)
            {
                for (int n = n0; n < n0 + count; n++)
                for (int oc = 0; oc < g.OC; oc++)
                {
                    var row = new Span<float>(Y + ((long)n * g.OC + oc) * plane, plane);
                    Elementwise.Affine(row, 1f, Bias[oc], row);
                }
            }
        }
    }

    /// <summary>
    /// row[i] = max(row[i] + b, 0) (no addition without bias), in one pass: the bits of
    /// <see cref="Elementwise.Affine"/>(row, 1, b) (x·1 + b is x + b) followed by F.Relu's max, which keeps a NaN and
    /// turns −0 into +0 (<see cref="Vector.Max{T}"/>, and <see cref="Math.Max(float, float)"/> on the tail: the same rule).
    /// </summary>
    private static void AddBiasRelu(float* row, int n, bool hasBias, float b)
    {
        int i = 0, w = Vector<float>.Count;
        var vb = new Vector<float>(b);
        for (; i + w <= n; i += w)
        {
            var v = Vector.Load(row + i);
            if (hasBias) v += vb;
            Vector.Max(v, Vector<float>.Zero).Store(row + i);
        }
        for (; i < n; i++) row[i] = Math.Max(hasBias ? row[i] + b : row[i], 0f);
    }

    /// <summary>dx[n] = col2im(Wᵀ · dy[n]) for a block of samples (every group).</summary>
    private struct BackwardDataBody : IParallelBody
    {
        public float* Dy, W, Dx;
        public ConvGeometry G;
        public int GemmThreads, Block;

        public readonly void Invoke(int block)
        {
            var g = G;
            int patch = g.PatchSize, plane = g.OutPlane, cg = g.CinPerGroup, og = g.CoutPerGroup;
            int n0 = block * Block, count = Math.Min(Block, g.N - n0), ld = count * plane;
            long inPlane = (long)g.H * g.W;
            float[]? cols = g.IsPointwise && count == 1 ? null : Scratch(patch * ld);
            float[]? rows = count == 1 ? null : RowScratch(og * ld);
            fixed (float* pc = cols, pr = rows)
            {
                for (int gi = 0; gi < g.Groups; gi++)
                {
                    float* dys = Dy + ((long)n0 * g.OC + gi * og) * plane;
                    float* dxs = Dx + ((long)n0 * g.C + gi * cg) * inPlane;
                    float* b = dys;
                    if (count > 1)
                    {
                        CopyRows(dys, (long)g.OC * plane, og, plane, count, pr, ld, scatter: false);
                        b = pr;
                    }
                    float* c = cols is null ? dxs : pc;
                    Gemm.Sgemm(Gemm.ForcedPath, GemmThreadsFor(GemmThreads, patch, ld, og), true, false, patch, ld, og, 1f,
                        W + (long)gi * og * patch, patch, b, ld, 0f, c, ld);
                    if (cols is null) continue;
                    if (g.IsPointwise)
                    {
                        CopyRows(dxs, g.C * inPlane, cg, plane, count, pc, ld, scatter: true);
                        continue;
                    }
                    for (int s = 0; s < count; s++)
                    {
                        var dxSpan = new Span<float>(dxs + s * g.C * inPlane, (int)(cg * inPlane));
                        dxSpan.Clear();
                        Im2Col.FoldAdd(cols.AsSpan(s * plane), cg, g.H, g.W, g.KH, g.KW, g.Stride, g.Padding, g.OH, g.OW, dxSpan, ld);
                    }
                }
            }
        }
    }

    /// <summary>Chunk c of the batch: its samples' Σ dy[n] · cols(x[n])ᵀ, block by block, into dw (chunk 0) or its partial slice.</summary>
    private struct BackwardWeightBody : IParallelBody
    {
        public float* Dy, X, Dw, Partial;
        public ConvGeometry G;
        public int Chunks, GemmThreads, Block;

        public readonly void Invoke(int chunk)
        {
            var g = G;
            int patch = g.PatchSize, plane = g.OutPlane, og = g.CoutPerGroup;
            int n0 = (int)((long)g.N * chunk / Chunks), n1 = (int)((long)g.N * (chunk + 1) / Chunks);
            float* acc = chunk == 0 ? Dw : Partial + (long)(chunk - 1) * g.OC * patch;
            if (n1 <= n0)
            {
                new Span<float>(acc, g.OC * patch).Clear();
                return;
            }
            for (int s0 = n0; s0 < n1; s0 += Block)
            {
                int count = Math.Min(Block, n1 - s0), ld = count * plane;
                float[]? cols = g.IsPointwise && count == 1 ? null : Scratch(patch * ld);
                float[]? rows = count == 1 ? null : RowScratch(og * ld);
                fixed (float* pc = cols, pr = rows)
                {
                    for (int gi = 0; gi < g.Groups; gi++)
                    {
                        float* b = Columns(X, g, s0, count, gi, cols, pc);
                        float* a = Dy + ((long)s0 * g.OC + gi * og) * plane;
                        if (count > 1)
                        {
                            CopyRows(a, (long)g.OC * plane, og, plane, count, pr, ld, scatter: false);
                            a = pr;
                        }
                        Gemm.Sgemm(Gemm.ForcedPath, GemmThreadsFor(GemmThreads, og, patch, ld), false, true, og, patch, ld, 1f, a, ld, b, ld,
                            s0 == n0 ? 0f : 1f, acc + (long)gi * og * patch, patch);
                    }
                }
            }
        }
    }

    /// <summary>db[oc] = Σ over n, h, w of dy[n, oc], in double, sample by sample.</summary>
    /// <summary>
    /// Part p of the output channels, a contiguous range: db[oc] = Σ over n of the row sum of dy[n, oc], each channel's
    /// sum taken in sample order, walked sample by sample so that the part's rows are read in memory order (a channel at
    /// a time read one row per sample, a sample's size apart: on small planes a cache miss per row, which dominated).
    /// </summary>
    private struct BiasGradBody : IParallelBody
    {
        public float* Dy, Db;
        public ConvGeometry G;
        public int Parts;

        public readonly void Invoke(int part)
        {
            int plane = G.OutPlane, oc0 = (int)((long)G.OC * part / Parts), oc1 = (int)((long)G.OC * (part + 1) / Parts);
            double[] sums = ThreadScratch.Get(ref t_biasSums, oc1 - oc0);
            Array.Clear(sums, 0, oc1 - oc0);
            for (int n = 0; n < G.N; n++)
            {
                float* row = Dy + ((long)n * G.OC + oc0) * plane;
                for (int oc = oc0; oc < oc1; oc++, row += plane) sums[oc - oc0] += BatchNorm.SumWide(row, plane);
            }
            for (int oc = oc0; oc < oc1; oc++) Db[oc] = (float)sums[oc - oc0];
        }
    }

    [ThreadStatic] private static double[]? t_biasSums;
}
