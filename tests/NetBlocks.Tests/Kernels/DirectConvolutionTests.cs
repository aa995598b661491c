using NetBlocks.Kernels;
using NetBlocks.Tensors;

using NetBlocks.Tests.Support;
using static NetBlocks.Tests.Support.ConvolutionTwin;

namespace NetBlocks.Tests.Kernels;

/// <summary>
/// The direct (AVX-512, 16 output channels per vector) convolution through <see cref="Convolution"/>'s dispatch, forced
/// on, against a plain scalar twin in double; the fallback for shapes it does not take; thread-count independence.
/// </summary>
public class DirectConvolutionTests
{
    public static IEnumerable<object[]> Geometries()
    {
        // N, C, H, W, OC, K, stride, padding, groups
        yield return [2, 16, 7, 9, 16, 3, 1, 1, 1];      // odd plane, one 16-channel block
        yield return [2, 32, 7, 9, 32, 3, 1, 1, 2];      // two groups of 16
        yield return [2, 80, 12, 12, 80, 3, 1, 1, 5];    // RegNet: five groups of 16 at 12×12
        yield return [2, 80, 24, 24, 80, 3, 2, 1, 5];    // RegNet: stride 2
        yield return [2, 32, 13, 11, 32, 3, 2, 1, 2];    // stride 2, odd plane
        yield return [2, 32, 10, 10, 64, 5, 1, 2, 1];    // 32-channel chunks, 5×5 pad 2
        yield return [2, 64, 9, 7, 64, 5, 1, 2, 2];      // 32 per group, 5×5
        yield return [2, 48, 4, 4, 96, 3, 1, 1, 1];      // 4×4 plane; 96 = three 32-channel chunks
        yield return [1, 16, 3, 3, 32, 3, 1, 0, 1];      // 1×1 output
        yield return [2, 16, 5, 5, 16, 5, 1, 0, 1];      // 1×1 output, 5×5 kernel
        yield return [2, 32, 6, 8, 16, 1, 2, 0, 1];      // 1×1 kernel, stride 2 (not pointwise)
        yield return [2, 16, 30, 30, 32, 3, 1, 1, 1];    // width 30: two 15-column tiles (32 channels: two tiles of 15)
        yield return [1, 16, 3, 53, 16, 3, 1, 1, 1];     // width 53: three tiles of 18/18/17 (16 channels)
        yield return [2, 16, 8, 8, 16, 3, 1, 2, 1];      // padding 2 with a 3×3 kernel: all-padding output rows
        yield return [2, 32, 9, 9, 32, 3, 2, 0, 1];      // stride 2, no padding
        yield return [3, 16, 6, 5, 48, 3, 1, 1, 1];      // 48: three 16-channel chunks
    }

    [Avx512Theory]
    [MemberData(nameof(Geometries))]
    public void ForwardAndInputGradientMatchTheTwin(int n, int c, int h, int w, int oc, int k, int s, int p, int g)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, k, k, s, p, g);
        var (x, wt, bias, dy) = Data(geo, 21);
        var (yRef, dxRef) = Twin(x, wt, bias, dy, geo);
        using var context = new ExecutionContext(policy: new KernelPolicy { DirectConvolution = true });
        using (context.Enter())
        {
            Assert.True(Convolution.UsesDirectForward(geo, 2));
            Assert.Equal(s == 1, Convolution.UsesDirectBackwardData(geo, 2));
            var y = new float[dy.Length];
            Convolution.Forward(x, 0, wt, 0, bias, 0, y, 0, geo);
            AssertClose(yRef, y, "forward");
            var dx = new float[x.Length];
            Convolution.BackwardData(dy, 0, wt, 0, dx, 0, geo);
            AssertClose(dxRef, dx, "input gradient");

            // offsets into larger arrays, and no bias
            var (yRef0, _) = Twin(x, wt, new float[oc], dy, geo);
            var xo = new float[x.Length + 5]; x.CopyTo(xo, 5);
            var yo = new float[y.Length + 3];
            Convolution.Forward(xo, 5, wt, 0, null, 0, yo, 3, geo);
            AssertClose(yRef0, yo[3..], "forward, offsets, no bias");
        }
    }

    /// <summary>Shapes the direct kernel does not take run the im2col path even when it is forced on.</summary>
    [Theory]
    [InlineData(2, 8, 7, 7, 8, 3, 1, 1, 1)]      // 8 channels in and out
    [InlineData(2, 24, 6, 6, 24, 3, 1, 1, 3)]    // 8 per group
    [InlineData(2, 16, 9, 9, 16, 3, 3, 1, 1)]    // stride 3
    [InlineData(2, 16, 6, 6, 32, 1, 1, 0, 1)]    // pointwise: the GEMM needs no im2col
    public void IneligibleShapesFallBack(int n, int c, int h, int w, int oc, int k, int s, int p, int g)
        => CheckForcedPaths(new ConvGeometry(n, c, h, w, oc, k, k, s, p, g), seed: 22, directForward: false, directInputGradient: false);

    /// <summary>Input gradient with C/groups not a multiple of 16: the forward is direct, the backward im2col.</summary>
    [Avx512Theory]
    [InlineData(2, 8, 7, 7, 16, 3, 1, 1, 1)]
    [InlineData(2, 3, 12, 12, 32, 3, 2, 1, 1)]
    public void ForwardOnlyShapes(int n, int c, int h, int w, int oc, int k, int s, int p, int g)
        => CheckForcedPaths(new ConvGeometry(n, c, h, w, oc, k, k, s, p, g), seed: 23, directForward: true, directInputGradient: false);

    /// <summary>
    /// With the direct kernels forced on, which passes the dispatch gives them for <paramref name="geo"/>, and the forward
    /// and input gradient against the twin whichever path runs.
    /// </summary>
    private static void CheckForcedPaths(ConvGeometry geo, ulong seed, bool directForward, bool directInputGradient)
    {
        var (x, wt, bias, dy) = Data(geo, seed);
        var (yRef, dxRef) = Twin(x, wt, bias, dy, geo);
        using var context = new ExecutionContext(policy: new KernelPolicy { DirectConvolution = true });
        using (context.Enter())
        {
            Assert.Equal(directForward, Convolution.UsesDirectForward(geo, 2));
            Assert.Equal(directInputGradient, Convolution.UsesDirectBackwardData(geo, 2));
            var y = new float[dy.Length];
            Convolution.Forward(x, 0, wt, 0, bias, 0, y, 0, geo);
            AssertClose(yRef, y, "forward");
            var dx = new float[x.Length];
            Convolution.BackwardData(dy, 0, wt, 0, dx, 0, geo);
            AssertClose(dxRef, dx, "input gradient");
        }
    }

    /// <summary>
    /// 1, 2 and 3 threads (split over samples, or over sample × group × chunk when the batch is smaller than the thread
    /// count) give the same bits, run after run.
    /// </summary>
    [Avx512Theory]
    [InlineData(5, 80, 12, 12, 80, 3, 1, 1, 5)]
    [InlineData(4, 32, 10, 10, 64, 5, 1, 2, 1)]
    [InlineData(1, 32, 9, 11, 64, 3, 1, 1, 2)]   // batch of one: split over groups and chunks
    [InlineData(2, 32, 13, 13, 32, 3, 2, 1, 2)]
    public void EveryThreadCountGivesTheSameBits(int n, int c, int h, int w, int oc, int k, int s, int p, int g)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, k, k, s, p, g);
        var (x, wt, bias, dy) = Data(geo, 24);
        var (yRef, dxRef) = Twin(x, wt, bias, dy, geo);
        using var context = new ExecutionContext(policy: new KernelPolicy { DirectConvolution = true });
        using (context.Enter())
        {
            float[]? y1 = null, dx1 = null;
            foreach (int threads in new[] { 1, 2, 3, 1, 2, 3 })
            {
                var y = new float[dy.Length]; var dx = new float[x.Length];
                Convolution.Forward(x, 0, wt, 0, bias, 0, y, 0, geo, threads);
                Convolution.BackwardData(dy, 0, wt, 0, dx, 0, geo, threads);
                if (y1 is null)
                {
                    AssertClose(yRef, y, "forward");
                    AssertClose(dxRef, dx, "input gradient");
                    y1 = y; dx1 = dx;
                }
                else
                {
                    Assert.Equal(y1, y);
                    Assert.Equal(dx1, dx);
                }
            }
        }
    }

    /// <summary>The rule: every shape the kernel takes but 1×1 stride 1, unless the batch leaves a thread without work.</summary>
    [Avx512Theory]
    [InlineData(128, 96, 10, 10, 256, 5, 1, 2, 1, 2, true, true)]
    [InlineData(128, 80, 24, 24, 80, 3, 2, 1, 5, 2, true, false)]     // stride 2: the input gradient stays im2col
    [InlineData(128, 256, 10, 10, 256, 1, 1, 0, 1, 2, false, false)]  // pointwise
    [InlineData(1, 16, 12, 12, 16, 3, 1, 1, 1, 2, false, false)]      // one sample, one chunk, two threads
    [InlineData(1, 16, 12, 12, 16, 3, 1, 1, 1, 1, true, true)]
    [InlineData(1, 32, 12, 12, 64, 3, 1, 1, 1, 2, true, false)]       // two 32-channel chunks out, one 32-channel chunk back
    public void DispatchRule(int n, int c, int h, int w, int oc, int k, int s, int p, int g, int threads, bool forward, bool backward)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, k, k, s, p, g);
        using var context = new ExecutionContext(policy: new KernelPolicy { DirectConvolution = null });
        using (context.Enter())
        {
            Assert.Equal(forward, Convolution.UsesDirectForward(geo, threads));
            Assert.Equal(backward, Convolution.UsesDirectBackwardData(geo, threads));
        }
    }

    private static (float[] x, float[] w, float[] bias, float[] dy) Data(ConvGeometry g, ulong seed)
    {
        var rng = new RandomGenerator(seed);
        float[] Rand(int len) { var a = new float[len]; for (int i = 0; i < len; i++) a[i] = rng.NextFloat() * 2 - 1; return a; }
        return (Rand(g.N * g.C * g.H * g.W), Rand(g.OC * g.PatchSize), Rand(g.OC), Rand(g.N * g.OC * g.OH * g.OW));
    }

    /// <summary>The twin's output and input gradient.</summary>
    private static (float[] y, float[] dx) Twin(float[] x, float[] w, float[] b, float[] dy, ConvGeometry g)
    {
        var (y, dx, _, _) = ConvolutionTwin.Run(x, w, b, dy, g);
        return (y, dx);
    }
}
