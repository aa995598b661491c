namespace NetBlocks.Kernels;

/// <summary>
/// Batch normalisation over x (N, C, S) with S = H·W: per channel c,
/// y = (x − μ_c) · invstd_c · γ_c + β_c, invstd_c = 1/√(σ²_c + ε). Sums accumulate in double.
/// </summary>
public static class BatchNorm
{
    /// <summary>Batch mean and biased variance per channel.</summary>
    public static void Statistics(ReadOnlySpan<float> x, int n, int c, int s, Span<double> mean, Span<double> variance)
    {
        long count = (long)n * s;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += Elementwise.Sum(x.Slice((i * c + ch) * s, s));
            double mu = sum / count, sq = 0;
            for (int i = 0; i < n; i++)
            {
                var row = x.Slice((i * c + ch) * s, s);
                for (int j = 0; j < row.Length; j++) { double d = row[j] - mu; sq += d * d; }
            }
            mean[ch] = mu;
            variance[ch] = sq / count;
        }
    }

    /// <summary>y = (x − mean) · invstd · γ + β per channel; γ/β may be null (1 and 0).</summary>
    public static void Normalize(ReadOnlySpan<float> x, int n, int c, int s, ReadOnlySpan<float> mean, ReadOnlySpan<float> invstd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        for (int ch = 0; ch < c; ch++)
        {
            float scale = invstd[ch] * (gamma.IsEmpty ? 1f : gamma[ch]);
            float shift = (beta.IsEmpty ? 0f : beta[ch]) - mean[ch] * scale;
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * s;
                Elementwise.Affine(x.Slice(off, s), scale, shift, y.Slice(off, s));
            }
        }
    }

    /// <summary>
    /// Backward of training-mode batch norm. With x̂ = (x − μ)·invstd and M = N·S:
    /// dγ = Σ dy·x̂, dβ = Σ dy, dx = γ·invstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)).
    /// When <paramref name="useBatchStats"/> is false (eval mode) μ and invstd are constants: dx = γ·invstd·dy.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int c, int s, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invstd, ReadOnlySpan<float> gamma, bool useBatchStats, Span<float> dx, Span<float> dgamma, Span<float> dbeta)
    {
        double m = (double)n * s;
        for (int ch = 0; ch < c; ch++)
        {
            double sumDy = 0, sumDyXhat = 0;
            float mu = mean[ch], istd = invstd[ch];
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * s;
                var xr = x.Slice(off, s); var dyr = dy.Slice(off, s);
                for (int j = 0; j < s; j++)
                {
                    sumDy += dyr[j];
                    sumDyXhat += dyr[j] * ((xr[j] - mu) * istd);
                }
            }
            if (!dgamma.IsEmpty) dgamma[ch] = (float)sumDyXhat;
            if (!dbeta.IsEmpty) dbeta[ch] = (float)sumDy;
            if (dx.IsEmpty) continue;
            float g = gamma.IsEmpty ? 1f : gamma[ch];
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * s;
                var xr = x.Slice(off, s); var dyr = dy.Slice(off, s); var dxr = dx.Slice(off, s);
                if (!useBatchStats)
                {
                    Elementwise.Affine(dyr, g * istd, 0f, dxr);
                    continue;
                }
                double k = g * istd / m;
                for (int j = 0; j < s; j++)
                {
                    double xhat = (xr[j] - mu) * istd;
                    dxr[j] = (float)(k * (m * dyr[j] - sumDy - xhat * sumDyXhat));
                }
            }
        }
    }
}
