using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Kernels;

/// <summary>Max pooling (the AVX2 2×2 and 3×3 stride-2 path and the general loop, one and several threads) against a plain scalar twin.</summary>
public class PoolingTests
{
    public static IEnumerable<object[]> Geometries()
    {
        // planes, H, W, kernel, stride, padding
        yield return [3, 4, 4, 2, 2, 0];
        yield return [2, 6, 17, 2, 2, 0];   // 8 outputs by AVX2, then the scalar tail
        yield return [5, 9, 33, 2, 2, 0];   // odd sizes: the last row/column is dropped (floor mode)
        yield return [4, 12, 48, 2, 2, 0];
        yield return [600, 16, 16, 2, 2, 0]; // enough to split over threads
        yield return [3, 13, 13, 3, 2, 0];
        yield return [2, 7, 9, 3, 2, 1];
        yield return [2, 8, 8, 3, 1, 1];
        yield return [300, 27, 27, 3, 2, 0];
        yield return [3, 7, 22, 3, 2, 0];   // 3×3/2 by AVX2: 8 of 10 outputs per row, then the scalar tail
        yield return [2, 9, 34, 3, 2, 0];   // 2·8 + 2 columns read past the window: exactly the AVX2 bound
        yield return [2, 9, 33, 3, 2, 0];   // one column short of a second AVX2 block
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MaxMatchesScalarTwin(int planes, int h, int w, int k, int s, int p)
    {
        var g = new PoolGeometry(planes, h, w, k, s, p);
        var rng = new RandomGenerator(5);
        var x = new float[planes * h * w];
        // few distinct values: many ties, where the first maximum must win; and some NaNs, where the first NaN must win
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextInt(5) - 2;
        for (int i = 0; i < x.Length / 40; i++) x[rng.NextInt(x.Length)] = float.NaN;
        var dy = new float[planes * g.OH * g.OW];
        for (int i = 0; i < dy.Length; i++) dy[i] = rng.NextFloat() - 0.5f;
        var (yRef, aRef) = ScalarMax(x, g);
        var dxRef = new float[x.Length];
        for (int pl = 0; pl < planes; pl++)
        for (int i = 0; i < g.OH * g.OW; i++) dxRef[pl * h * w + aRef[pl * g.OH * g.OW + i]] += dy[pl * g.OH * g.OW + i];

        {
            // explicit thread counts, whatever the context in force
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var y = new float[dy.Length];
                var a = new int[dy.Length];
                Pooling.MaxForward(x, y, a, g, threads);
                Assert.Equal(aRef, a);
                for (int i = 0; i < y.Length; i++) Assert.Equal(yRef[i], y[i]); // NaN equals NaN for Assert.Equal(float)
                var dx = new float[x.Length];
                Pooling.MaxBackward(dy, a, dx, g, threads);
                Assert.Equal(dxRef, dx);

                // the forms that keep no indices: values only, and the backward that finds the maxima again in x
                var yOnly = new float[dy.Length];
                Pooling.MaxForward(x, yOnly, g, threads);
                for (int i = 0; i < y.Length; i++) Assert.Equal(yRef[i], yOnly[i]);
                var dxRecomputed = new float[x.Length];
                Pooling.MaxBackward(x, dy, dxRecomputed, g, threads);
                Assert.Equal(dxRef, dxRecomputed);
            }
        }
    }

    /// <summary>The first maximum of each window in row order; the first NaN wins outright (PyTorch's rule).</summary>
    private static (float[] y, int[] argmax) ScalarMax(float[] x, PoolGeometry g)
    {
        var y = new float[g.Planes * g.OH * g.OW];
        var a = new int[y.Length];
        for (int p = 0; p < g.Planes; p++)
        for (int oy = 0; oy < g.OH; oy++)
        for (int ox = 0; ox < g.OW; ox++)
        {
            float best = float.NegativeInfinity;
            int bestIdx = -1;
            for (int ky = 0; ky < g.Kernel && !float.IsNaN(best); ky++)
            for (int kx = 0; kx < g.Kernel; kx++)
            {
                int iy = oy * g.Stride - g.Padding + ky, ix = ox * g.Stride - g.Padding + kx;
                if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
                if (bestIdx < 0) bestIdx = iy * g.W + ix;
                float v = x[(p * g.H + iy) * g.W + ix];
                if (float.IsNaN(v)) { best = v; bestIdx = iy * g.W + ix; break; }
                if (v > best) { best = v; bestIdx = iy * g.W + ix; }
            }
            y[(p * g.OH + oy) * g.OW + ox] = best;
            a[(p * g.OH + oy) * g.OW + ox] = bestIdx;
        }
        return (y, a);
    }
}
