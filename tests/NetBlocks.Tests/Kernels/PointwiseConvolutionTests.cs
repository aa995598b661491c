using NetBlocks.Kernels;
using NetBlocks.Tensors;
using NetBlocks.Tests.Support;

namespace NetBlocks.Tests.Kernels;

/// <summary>
/// The 1×1 kernel (<see cref="PointwiseConvolution"/>) through <see cref="Convolution"/>'s dispatch: against the scalar
/// twin in double, bit for bit against im2col's GEMM (which the README model's checksum was made with), with weights
/// prepared once, at every thread count, and which layers the rule and the policy give it.
/// </summary>
public class PointwiseConvolutionTests
{
    public static IEnumerable<object[]> Geometries()
    {
        // N, C, H, W, OC, groups
        yield return [2, 80, 12, 12, 80, 1];    // RegNet @12: three full 48-pixel tiles
        yield return [2, 32, 24, 24, 80, 1];    // RegNet's widening shortcut
        yield return [2, 96, 10, 10, 32, 1];    // NiN @10: 100 pixels, a 4-pixel tail
        yield return [3, 16, 7, 7, 10, 1];      // 49 pixels; 10 outputs: a block of 8 and one of 2
        yield return [2, 24, 5, 5, 3, 1];       // fewer outputs than a block, 25 pixels
        yield return [32, 8, 1, 1, 8, 1];       // one pixel (the GEMM puts samples side by side: several columns)
        yield return [2, 300, 4, 4, 24, 1];     // 300 inputs: two k blocks of the GEMM's depth (256)
        yield return [2, 520, 3, 5, 16, 1];     // three k blocks, 15 pixels
        yield return [2, 32, 6, 6, 48, 2];      // two groups
        yield return [2, 40, 9, 9, 20, 4];      // four groups of 10 → 5
        yield return [1, 64, 7, 9, 96, 1];      // batch 1: split over tiles and output blocks
    }

    private static ConvGeometry Pointwise(int n, int c, int h, int w, int oc, int groups) => new(n, c, h, w, oc, 1, 1, 1, 0, groups);

    private static (float[] x, float[] w, float[] bias, float[] dy) Data(ConvGeometry g, ulong seed)
    {
        var rng = new RandomGenerator(seed);
        float[] Rand(long len) { var a = new float[len]; for (long i = 0; i < len; i++) a[i] = rng.NextFloat() * 2 - 1; return a; }
        return (Rand(g.InputElements), Rand(g.WeightElements), Rand(g.OC), Rand(g.OutputElements));
    }

    private static ExecutionContext With(bool? pointwise, int threads = 2)
        => new(threads, new KernelPolicy { PointwiseConvolution = pointwise });

    [Avx512Theory]
    [MemberData(nameof(Geometries))]
    public void ForwardAndInputGradientMatchTheTwin(int n, int c, int h, int w, int oc, int groups)
    {
        var g = Pointwise(n, c, h, w, oc, groups);
        var (x, wt, bias, dy) = Data(g, 31);
        var (yRef, dxRef, _, _) = ConvolutionTwin.Run(x, wt, bias, dy, g);
        using var context = With(pointwise: true);
        using (context.Enter())
        {
            Assert.Equal(Convolution.ForwardKernel.Pointwise, Convolution.ForwardKernelFor(g, 2));
            var y = new float[g.OutputElements];
            Convolution.Forward(x, 0, wt, 0, bias, 0, y, 0, g);
            ConvolutionTwin.AssertClose(yRef, y, "forward");
            var dx = new float[g.InputElements];
            Convolution.BackwardData(dy, 0, wt, 0, dx, 0, g);
            ConvolutionTwin.AssertClose(dxRef, dx, "input gradient");

            // offsets into larger arrays, no bias
            var (yNoBias, _, _, _) = ConvolutionTwin.Run(x, wt, new float[oc], dy, g);
            var xo = new float[x.Length + 5]; x.CopyTo(xo, 5);
            var yo = new float[y.Length + 3];
            Convolution.Forward(xo, 5, wt, 0, null, 0, yo, 3, g);
            ConvolutionTwin.AssertClose(yNoBias, yo[3..], "forward, offsets, no bias");
        }
    }

    /// <summary>
    /// The same bits as im2col's GEMM followed by its bias (and ReLU) pass, forward and input gradient, with and without
    /// bias and ReLU, on 1, 2 and 3 threads: a layer may move between the two without changing a trained model.
    /// </summary>
    [Avx512Theory]
    [MemberData(nameof(Geometries))]
    public void SameBitsAsTheGemm(int n, int c, int h, int w, int oc, int groups)
    {
        var g = Pointwise(n, c, h, w, oc, groups);
        var (x, wt, bias, dy) = Data(g, 32);
        foreach (int threads in new[] { 1, 2, 3 })
        foreach (bool relu in new[] { false, true })
        foreach (bool withBias in new[] { false, true })
        {
            float[]? b = withBias ? bias : null;
            var (gemmY, gemmDx) = Run(pointwise: false, threads, x, wt, b, dy, g, relu);
            var (y, dx) = Run(pointwise: true, threads, x, wt, b, dy, g, relu);
            string what = $"{threads} thread(s), relu {relu}, bias {withBias}";
            AssertSameBits(gemmY, y, $"forward, {what}");
            AssertSameBits(gemmDx, dx, $"input gradient, {what}");
        }
    }

    private static (float[] y, float[] dx) Run(bool pointwise, int threads, float[] x, float[] w, float[]? b, float[] dy, ConvGeometry g, bool relu)
    {
        using var context = With(pointwise, threads);
        using var _ = context.Enter();
        Assert.Equal(pointwise ? Convolution.ForwardKernel.Pointwise : Convolution.ForwardKernel.Im2Col, Convolution.ForwardKernelFor(g, threads));
        var y = new float[g.OutputElements];
        Convolution.Forward(x, 0, w, 0, b, 0, y, 0, g, threads, prepared: null, relu);
        var dx = new float[g.InputElements];
        Convolution.BackwardData(dy, 0, w, 0, dx, 0, g, threads);
        return (y, dx);
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, the GEMM's {expected[i]:R}");
    }

    /// <summary>Weights packed once by <see cref="PackedWeights.Prepare"/> (an inference plan's) give the bits of packing per call.</summary>
    [Avx512Theory]
    [InlineData(4, 80, 12, 12, 80, 1)]
    [InlineData(1, 300, 5, 5, 10, 1)]
    [InlineData(2, 40, 9, 9, 20, 4)]
    public void PreparedWeightsGiveTheSameBits(int n, int c, int h, int w, int oc, int groups)
    {
        var g = Pointwise(n, c, h, w, oc, groups);
        var (x, wt, bias, _) = Data(g, 33);
        using var context = With(pointwise: null);
        using (context.Enter())
        {
            var prepared = PackedWeights.Prepare(wt, 0, g, 2);
            Assert.True(prepared.HasPointwise);
            Assert.False(prepared.HasDirect);
            foreach (bool relu in new[] { false, true })
            {
                var once = new float[g.OutputElements];
                Convolution.Forward(x, 0, wt, 0, bias, 0, once, 0, g, 2, prepared, relu);
                var perCall = new float[g.OutputElements];
                Convolution.Forward(x, 0, wt, 0, bias, 0, perCall, 0, g, 2, prepared: null, relu);
                AssertSameBits(perCall, once, $"relu {relu}");
            }
        }
    }

    /// <summary>
    /// The policy: the rule takes every 1×1 stride-1 layer on AVX-512; false, or the direct kernels forced off (which it
    /// follows), keeps im2col's GEMM; strided or padded 1×1 layers and larger kernels are never its.
    /// </summary>
    [Avx512Fact]
    public void WhichLayersItRuns()
    {
        var pointwise = Pointwise(4, 32, 8, 8, 32, 1);
        var strided = new ConvGeometry(4, 32, 8, 8, 32, 1, 1, 2, 0, 1);
        // where im2col's GEMM is a matrix-vector product (Gemv sums in another order): one pixel of one sample, one
        // output or input channel per group
        var vectors = new[] { Pointwise(1, 32, 1, 1, 32, 1), Pointwise(4, 32, 8, 8, 1, 1), Pointwise(4, 8, 8, 8, 16, 8) };
        var padded = new ConvGeometry(4, 32, 8, 8, 32, 1, 1, 1, 1, 1);
        foreach (var (policy, expected) in new (KernelPolicy, bool)[]
                 {
                     (KernelPolicy.Default, true),
                     (new KernelPolicy { PointwiseConvolution = false }, false),
                     (new KernelPolicy { DirectConvolution = false }, false),
                     (new KernelPolicy { DirectConvolution = false, PointwiseConvolution = true }, true),
                     (new KernelPolicy { GemmPath = GemmPath.Avx2 }, false),
                 })
        {
            using var context = new ExecutionContext(2, policy);
            using var _ = context.Enter();
            Assert.Equal(expected, Convolution.UsesPointwise(pointwise, 2));
            Assert.False(Convolution.UsesPointwise(strided, 2));
            Assert.False(Convolution.UsesPointwise(padded, 2));
            foreach (var v in vectors) Assert.False(Convolution.UsesPointwise(v, 2), v.ToString());
        }
    }

    /// <summary>An empty batch writes nothing and does not fail.</summary>
    [Avx512Fact]
    public void EmptyBatch()
    {
        var g = Pointwise(0, 16, 4, 4, 16, 1);
        using var context = With(pointwise: true);
        using var _ = context.Enter();
        Convolution.Forward([], 0, new float[16 * 16], 0, new float[16], 0, [], 0, g);
        Convolution.BackwardData([], 0, new float[16 * 16], 0, [], 0, g);
    }
}
