using NetBlocks.Kernels;

namespace NetBlocks.Tests.Support;

/// <summary>
/// The scalar twin every convolution kernel is checked against (im2col + GEMM, the direct kernels, every thread count):
/// the seven loops of the definition, summed in double.
/// </summary>
public static class ConvolutionTwin
{
    /// <summary>y = conv(x, w) + b and, for the given dy, dx, dW and db.</summary>
    public static (float[] Y, float[] Dx, float[] Dw, float[] Db) Run(float[] x, float[] w, float[] b, float[] dy, ConvGeometry g)
    {
        int oh = g.OH, ow = g.OW, cg = g.CinPerGroup, og = g.CoutPerGroup, kh = g.KH, kw = g.KW;
        var y = new double[g.N * g.OC * oh * ow]; var dx = new double[x.Length]; var dw = new double[w.Length]; var db = new double[g.OC];
        for (int n = 0; n < g.N; n++)
        for (int o = 0; o < g.OC; o++)
        {
            int grp = o / og;
            for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
            {
                int yi = ((n * g.OC + o) * oh + i) * ow + j;
                double acc = b[o];
                for (int ci = 0; ci < cg; ci++)
                for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                {
                    int iy = i * g.Stride - g.Padding + ky, ix = j * g.Stride - g.Padding + kx;
                    if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
                    int c = grp * cg + ci;
                    int xi = ((n * g.C + c) * g.H + iy) * g.W + ix;
                    int wi = ((o * cg + ci) * kh + ky) * kw + kx;
                    acc += x[xi] * w[wi];
                    dx[xi] += dy[yi] * w[wi];
                    dw[wi] += dy[yi] * x[xi];
                }
                y[yi] = acc;
                db[o] += dy[yi];
            }
        }
        static float[] F(double[] a) => a.Select(v => (float)v).ToArray();
        return (F(y), F(dx), F(dw), F(db));
    }

    /// <summary>|expected − actual| ≤ atol + rtol·|expected| element by element, naming the first element that is not.</summary>
    public static void AssertClose(float[] expected, float[] actual, string what, double rtol = 1e-4, double atol = 1e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= atol + rtol * Math.Abs(expected[i]),
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}
