using NetBlocks.Kernels;
using NetBlocks.Tensors;

using NetBlocks.Tests.Support;
using static NetBlocks.Tests.Support.ConvolutionTwin;

namespace NetBlocks.Tests.Kernels;

/// <summary>The im2col + GEMM convolution against its plain scalar twin (direct loops), over sizes that hit every remainder.</summary>
public class ConvolutionTests
{
    public static IEnumerable<object[]> Geometries()
    {
        // N, C, H, W, OC, K, stride, padding, groups
        yield return [1, 1, 1, 1, 1, 1, 1, 0, 1];
        yield return [1, 1, 5, 5, 1, 3, 1, 1, 1];
        yield return [2, 3, 7, 5, 5, 3, 1, 1, 1];
        yield return [3, 2, 11, 13, 7, 3, 2, 1, 1];
        yield return [2, 6, 9, 9, 6, 3, 1, 1, 3];
        yield return [2, 4, 8, 8, 8, 3, 2, 1, 4];
        yield return [1, 5, 13, 11, 5, 3, 1, 1, 5];
        yield return [2, 8, 6, 7, 16, 1, 1, 0, 1];
        yield return [2, 8, 7, 7, 4, 1, 2, 0, 2];
        yield return [1, 3, 31, 29, 17, 11, 4, 0, 1];
        yield return [2, 2, 9, 9, 3, 5, 1, 2, 1];
        yield return [1, 1, 17, 19, 1, 4, 3, 2, 1];
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MatchesDirectConvolution(int n, int c, int h, int w, int oc, int k, int s, int p, int g)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, k, k, s, p, g);
        var rng = new RandomGenerator(11);
        float[] Rand(int len) { var a = new float[len]; for (int i = 0; i < len; i++) a[i] = rng.NextFloat() * 2 - 1; return a; }
        var x = Rand(n * c * h * w);
        var wt = Rand(oc * (c / g) * k * k);
        var bias = Rand(oc);
        var dy = Rand(n * oc * geo.OH * geo.OW);

        var y = new float[dy.Length];
        Convolution.Forward(x, 0, wt, 0, bias, 0, y, 0, geo);
        var (yRef, dxRef, dwRef, dbRef) = ConvolutionTwin.Run(x, wt, bias, dy, geo);
        AssertClose(yRef, y, "forward");

        var dx = new float[x.Length];
        Convolution.BackwardData(dy, 0, wt, 0, dx, 0, geo);
        AssertClose(dxRef, dx, "input gradient");

        var dw = new float[wt.Length]; var db = new float[oc];
        Convolution.BackwardWeight(dy, 0, x, 0, dw, 0, db, 0, geo);
        AssertClose(dwRef, dw, "weight gradient");
        AssertClose(dbRef, db, "bias gradient");
    }

    /// <summary>
    /// The batch split (samples over threads, per-chunk dW summed in chunk order) and the GEMM split give the twin's
    /// values for every thread count, and the same bits on every run for a given count.
    /// </summary>
    [Theory]
    [InlineData(4, 6, 9, 9, 8, 3, 1, 1, 1)]
    [InlineData(5, 4, 8, 8, 8, 3, 2, 1, 2)]
    [InlineData(7, 8, 6, 7, 16, 1, 1, 0, 1)]
    [InlineData(3, 3, 12, 10, 5, 5, 1, 2, 1)]
    [InlineData(16, 6, 6, 6, 8, 3, 1, 1, 2)]   // small planes: several samples side by side per GEMM
    [InlineData(33, 8, 5, 5, 8, 1, 1, 0, 1)]   // pointwise, blocks of samples gathered and scattered, a ragged last block
    [InlineData(20, 4, 7, 7, 6, 1, 2, 0, 2)]   // strided 1×1 through im2col, grouped
    [InlineData(40, 16, 4, 4, 16, 3, 1, 1, 4)]
    public void EveryThreadCountMatchesTheTwinAndRepeatsExactly(int n, int c, int h, int w, int oc, int k, int s, int p, int g)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, k, k, s, p, g);
        var rng = new RandomGenerator(12);
        float[] Rand(int len) { var a = new float[len]; for (int i = 0; i < len; i++) a[i] = rng.NextFloat() * 2 - 1; return a; }
        var x = Rand(n * c * h * w); var wt = Rand(oc * (c / g) * k * k); var bias = Rand(oc); var dy = Rand(n * oc * geo.OH * geo.OW);
        var (yRef, dxRef, dwRef, dbRef) = ConvolutionTwin.Run(x, wt, bias, dy, geo);
        foreach (int threads in new[] { 1, 2, 3, 8 })
        {
            (float[] y, float[] dx, float[] dw, float[] db) Run()
            {
                var y = new float[dy.Length]; var dx = new float[x.Length]; var dw = new float[wt.Length]; var db = new float[oc];
                Convolution.Forward(x, 0, wt, 0, bias, 0, y, 0, geo, threads);
                Convolution.BackwardData(dy, 0, wt, 0, dx, 0, geo, threads);
                Convolution.BackwardWeight(dy, 0, x, 0, dw, 0, db, 0, geo, threads);
                return (y, dx, dw, db);
            }
            var first = Run();
            AssertClose(yRef, first.y, $"forward, {threads} threads");
            AssertClose(dxRef, first.dx, $"input gradient, {threads} threads");
            AssertClose(dwRef, first.dw, $"weight gradient, {threads} threads");
            AssertClose(dbRef, first.db, $"bias gradient, {threads} threads");
            for (int again = 0; again < 3; again++)
            {
                var next = Run();
                Assert.Equal(first.y, next.y); Assert.Equal(first.dx, next.dx); Assert.Equal(first.dw, next.dw); Assert.Equal(first.db, next.db);
            }
        }
    }
}
