using NetBlocks.Kernels;
using NetBlocks.Tensors;

using NetBlocks.Tests.Support;
using static NetBlocks.Tests.Support.ConvolutionTwin;

namespace NetBlocks.Tests.Kernels;

/// <summary>
/// The direct (AVX-512, 16 output channels per vector) weight gradient through <see cref="Convolution.BackwardWeight(float[], int, float[], int, float[], int, float[], int, ConvGeometry, int)"/>'s
/// dispatch, forced on, against a plain scalar twin in double; the fallback for shapes it does not take; the same bits for
/// every thread count.
/// </summary>
public class DirectWeightGradientTests
{
    public static IEnumerable<object[]> Geometries()
    {
        // N, C, H, W, OC, K, stride, padding, groups
        yield return [2, 16, 7, 9, 16, 3, 1, 1, 1];      // odd plane, one 16-channel block
        yield return [3, 32, 7, 9, 32, 3, 1, 1, 2];      // two groups of 16, batch not divisible by 2
        yield return [2, 80, 12, 12, 80, 3, 1, 1, 5];    // RegNet: five groups of 16 at 12×12
        yield return [3, 80, 24, 24, 80, 3, 2, 1, 5];    // RegNet: stride 2
        yield return [2, 32, 13, 11, 32, 3, 2, 1, 2];    // stride 2, odd plane
        yield return [2, 32, 10, 10, 64, 5, 1, 2, 1];    // 64 channels: four blocks per tile, 5×5 pad 2
        yield return [2, 64, 9, 7, 64, 5, 1, 2, 2];      // 32 per group, 5×5
        yield return [2, 48, 4, 4, 96, 3, 1, 1, 1];      // 4×4 plane; 96: 32-channel tiles
        yield return [2, 48, 4, 4, 128, 3, 1, 1, 1];     // 4×4 plane; 128: 64-channel tiles, two input channels per tile
        yield return [1, 16, 3, 3, 32, 3, 1, 0, 1];      // batch 1, 1×1 output
        yield return [2, 16, 5, 5, 16, 5, 1, 0, 1];      // 1×1 output, 5×5 kernel, 16 channels
        yield return [3, 17, 6, 8, 64, 3, 1, 1, 1];      // odd input channels: one per tile
        yield return [2, 16, 8, 8, 16, 3, 1, 2, 1];      // padding 2 with a 3×3 kernel
        yield return [2, 32, 9, 9, 32, 3, 2, 0, 1];      // stride 2, no padding
        yield return [2, 16, 11, 10, 32, 3, 3, 1, 1];    // stride 3
        yield return [5, 16, 6, 5, 48, 5, 2, 2, 1];      // 48: three 16-channel blocks, 5×5 stride 2
        yield return [2, 1, 12, 12, 32, 3, 2, 1, 1];     // one input channel (RegNet's stem)
    }

    [Avx512Theory]
    [MemberData(nameof(Geometries))]
    public void WeightAndBiasGradientsMatchTheTwin(int n, int c, int h, int w, int oc, int k, int s, int p, int g)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, k, k, s, p, g);
        var (x, dy) = Data(geo, 31);
        var (dwRef, dbRef) = Twin(x, dy, geo);
        using var context = new ExecutionContext(policy: new KernelPolicy { DirectWeightGradient = true });
        using (context.Enter())
        {
            Assert.True(Convolution.UsesDirectWeight(geo, 2));
            var dw = new float[dwRef.Length]; var db = new float[oc];
            Convolution.BackwardWeight(dy, 0, x, 0, dw, 0, db, 0, geo);
            AssertClose(dwRef, dw, "weight gradient", rtol: 2e-4);
            AssertClose(dbRef, db, "bias gradient", rtol: 2e-4);

            // offsets into larger arrays (garbage around them), and no bias
            var xo = new float[x.Length + 5]; x.CopyTo(xo, 5);
            var dyo = new float[dy.Length + 7]; dy.CopyTo(dyo, 7);
            var dwo = Enumerable.Repeat(float.NaN, dw.Length + 9).ToArray();
            Convolution.BackwardWeight(dyo, 7, xo, 5, dwo, 3, null, 0, geo);
            AssertClose(dwRef, dwo[3..(3 + dw.Length)], "weight gradient, offsets", rtol: 2e-4);
            Assert.True(dwo[..3].All(float.IsNaN) && dwo[(3 + dw.Length)..].All(float.IsNaN), "wrote outside its slice");

            var dbo = new float[oc + 4];
            Convolution.BackwardWeight(dyo, 7, xo, 5, dwo, 3, dbo, 4, geo);
            AssertClose(dbRef, dbo[4..], "bias gradient, offset", rtol: 2e-4);
        }
    }

    /// <summary>Shapes the direct kernel does not take run the im2col path even when it is forced on.</summary>
    [Theory]
    [InlineData(2, 8, 7, 7, 8, 3, 1, 1, 1)]      // 8 channels out
    [InlineData(2, 24, 6, 6, 24, 3, 1, 1, 3)]    // 8 per group
    [InlineData(2, 16, 6, 6, 32, 1, 1, 0, 1)]    // pointwise: the GEMM needs no im2col
    [InlineData(2, 16, 9, 9, 16, 7, 1, 3, 1)]    // 7×7: no tile
    [InlineData(2, 16, 9, 9, 16, 4, 1, 1, 1)]    // 4×4: no tile
    public void IneligibleShapesFallBack(int n, int c, int h, int w, int oc, int k, int s, int p, int g)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, k, k, s, p, g);
        var (x, dy) = Data(geo, 32);
        var (dwRef, dbRef) = Twin(x, dy, geo);
        using var context = new ExecutionContext(policy: new KernelPolicy { DirectWeightGradient = true });
        using (context.Enter())
        {
            Assert.False(Convolution.UsesDirectWeight(geo, 2));
            var dw = new float[dwRef.Length]; var db = new float[oc];
            Convolution.BackwardWeight(dy, 0, x, 0, dw, 0, db, 0, geo);
            AssertClose(dwRef, dw, "weight gradient", rtol: 2e-4);
            AssertClose(dbRef, db, "bias gradient", rtol: 2e-4);
        }
    }

    /// <summary>
    /// 1, 2 and 3 threads each repeat their bits run after run, and (each dW element being summed in sample order by one
    /// unit whatever the split) give the same bits as one another.
    /// </summary>
    [Avx512Theory]
    [InlineData(5, 80, 12, 12, 80, 3, 1, 1, 5)]
    [InlineData(7, 32, 10, 10, 64, 5, 1, 2, 1)]
    [InlineData(1, 32, 9, 11, 64, 3, 1, 1, 2)]   // batch of one
    [InlineData(3, 32, 13, 13, 32, 3, 2, 1, 2)]
    [InlineData(4, 64, 4, 4, 128, 3, 1, 1, 1)]
    public void EveryThreadCountRepeatsItsBits(int n, int c, int h, int w, int oc, int k, int s, int p, int g)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, k, k, s, p, g);
        var (x, dy) = Data(geo, 33);
        var (dwRef, dbRef) = Twin(x, dy, geo);
        using var context = new ExecutionContext(policy: new KernelPolicy { DirectWeightGradient = true });
        using (context.Enter())
        {
            var first = new Dictionary<int, (float[] dw, float[] db)>();
            foreach (int threads in new[] { 1, 2, 3, 1, 2, 3 })
            {
                var dw = new float[dwRef.Length]; var db = new float[oc];
                Convolution.BackwardWeight(dy, 0, x, 0, dw, 0, db, 0, geo, threads);
                if (first.TryGetValue(threads, out var f))
                {
                    Assert.Equal(f.dw, dw);
                    Assert.Equal(f.db, db);
                    continue;
                }
                AssertClose(dwRef, dw, "weight gradient", rtol: 2e-4);
                AssertClose(dbRef, db, "bias gradient", rtol: 2e-4);
                first[threads] = (dw, db);
            }
            Assert.Equal(first[1].dw, first[2].dw);
            Assert.Equal(first[1].dw, first[3].dw);
        }
    }

    /// <summary>The rule: every shape with a tile but 1×1 stride 1.</summary>
    [Avx512Theory]
    [InlineData(128, 96, 10, 10, 256, 5, 1, 2, 1, true)]
    [InlineData(128, 256, 4, 4, 384, 3, 1, 1, 1, true)]
    [InlineData(128, 80, 24, 24, 80, 3, 2, 1, 5, true)]
    [InlineData(128, 32, 24, 24, 32, 3, 1, 1, 2, true)]
    [InlineData(128, 256, 10, 10, 256, 1, 1, 0, 1, false)]  // pointwise
    [InlineData(128, 1, 96, 96, 96, 11, 4, 0, 1, false)]    // 11×11: no tile
    public void DispatchRule(int n, int c, int h, int w, int oc, int k, int s, int p, int g, bool direct)
    {
        var geo = new ConvGeometry(n, c, h, w, oc, k, k, s, p, g);
        using var context = new ExecutionContext(policy: new KernelPolicy { DirectWeightGradient = null, DirectConvolution = null });
        using (context.Enter())
        {
            Assert.Equal(direct, Convolution.UsesDirectWeight(geo, 2));
        }
    }

    private static (float[] x, float[] dy) Data(ConvGeometry g, ulong seed)
    {
        var rng = new RandomGenerator(seed);
        float[] Rand(int len) { var a = new float[len]; for (int i = 0; i < len; i++) a[i] = rng.NextFloat() * 2 - 1; return a; }
        return (Rand(g.N * g.C * g.H * g.W), Rand(g.N * g.OC * g.OH * g.OW));
    }

    /// <summary>The twin's weight and bias gradients (the weights do not enter them: zeros).</summary>
    private static (float[] dw, float[] db) Twin(float[] x, float[] dy, ConvGeometry g)
    {
        var (_, _, dw, db) = ConvolutionTwin.Run(x, new float[g.OC * g.PatchSize], new float[g.OC], dy, g);
        return (dw, db);
    }
}
