using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Tests.Kernels;

/// <summary>The vectorised, per-channel-parallel batch norm against a scalar twin in double, on every remainder of 8 lanes.</summary>
public class BatchNormTests
{
    public static IEnumerable<object[]> Shapes()
    {
        foreach (int s in new[] { 1, 3, 8, 13, 64, 81 }) yield return [3, 5, s];
        yield return [16, 32, 144]; // large enough to split over threads
        yield return [2, 1, 40000];
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesScalarTwin(int n, int c, int s)
    {
        var rng = new RandomGenerator(3);
        float[] Rand(int len, float scale, float shift) { var a = new float[len]; for (int i = 0; i < len; i++) a[i] = (rng.NextFloat() - 0.5f) * scale + shift; return a; }
        var x = Rand(n * c * s, 4f, 3f); // a mean far from 0: the variance must not cancel
        var dy = Rand(n * c * s, 2f, 0.1f);
        var gamma = Rand(c, 1f, 1f); var beta = Rand(c, 1f, 0f);

        // scalar twin, all in double
        var meanRef = new double[c]; var varRef = new double[c];
        var m = (double)n * s;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0; for (int i = 0; i < n; i++) for (int j = 0; j < s; j++) sum += x[(i * c + ch) * s + j];
            double mu = sum / m, sq = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < s; j++) { double d = x[(i * c + ch) * s + j] - mu; sq += d * d; }
            meanRef[ch] = mu; varRef[ch] = sq / m;
        }

        {
            // explicit thread counts, whatever the context in force
            foreach (int threads in new[] { 1, 2 })
            {
                var mean = new double[c]; var variance = new double[c];
                BatchNorm.Statistics(x, n, c, s, mean, variance, threads);
                for (int ch = 0; ch < c; ch++)
                {
                    Assert.Equal(meanRef[ch], mean[ch], 1e-9);
                    Assert.True(Math.Abs(varRef[ch] - variance[ch]) <= 1e-7 * (1 + varRef[ch]), $"variance[{ch}]: {variance[ch]} vs {varRef[ch]}");
                }
                var meanF = mean.Select(v => (float)v).ToArray();
                var invstd = variance.Select(v => (float)(1 / Math.Sqrt(v + 1e-5))).ToArray();
                foreach (bool relu in new[] { false, true })
                {
                    var y = new float[x.Length];
                    BatchNorm.Normalize(x, n, c, s, meanF, invstd, gamma, beta, y, relu, threads);
                    for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int j = 0; j < s; j++)
                    {
                        int k = (i * c + ch) * s + j;
                        double expect = (x[k] - meanRef[ch]) * invstd[ch] * gamma[ch] + beta[ch];
                        if (relu) expect = Math.Max(expect, 0);
                        Assert.True(Math.Abs(expect - y[k]) <= 1e-5 * (1 + Math.Abs(expect)), $"y[{k}]: {y[k]} vs {expect}");
                    }
                }
                foreach (bool train in new[] { true, false })
                {
                    var dx = new float[x.Length]; var dg = new float[c]; var db = new float[c];
                    BatchNorm.Backward(x, dy, n, c, s, meanF, invstd, gamma, train, dx, dg, db, threads);
                    for (int ch = 0; ch < c; ch++)
                    {
                        double sumDy = 0, sumDyXhat = 0;
                        for (int i = 0; i < n; i++) for (int j = 0; j < s; j++)
                        {
                            int k = (i * c + ch) * s + j;
                            sumDy += dy[k]; sumDyXhat += dy[k] * (x[k] - meanF[ch]) * invstd[ch];
                        }
                        Assert.True(Math.Abs(sumDy - db[ch]) <= 1e-4 * (1 + Math.Abs(sumDy)), $"dbeta[{ch}]");
                        Assert.True(Math.Abs(sumDyXhat - dg[ch]) <= 1e-4 * (1 + Math.Abs(sumDyXhat)), $"dgamma[{ch}]");
                        for (int i = 0; i < n; i++) for (int j = 0; j < s; j++)
                        {
                            int k = (i * c + ch) * s + j;
                            double xhat = (x[k] - meanF[ch]) * invstd[ch];
                            double expect = train
                                ? gamma[ch] * invstd[ch] / m * (m * dy[k] - sumDy - xhat * sumDyXhat)
                                : gamma[ch] * invstd[ch] * dy[k];
                            Assert.True(Math.Abs(expect - dx[k]) <= 1e-4 * (1 + Math.Abs(expect)), $"dx[{k}]: {dx[k]} vs {expect}");
                        }
                    }
                }
            }
        }
    }
}
