namespace NetBlocks.Kernels;

/// <summary>Window geometry of a 2-D pooling over (planes, H, W) with a square kernel (floor mode, no dilation).</summary>
public readonly record struct PoolGeometry(int Planes, int H, int W, int Kernel, int Stride, int Padding)
{
    public int OH => (H + 2 * Padding - Kernel) / Stride + 1;
    public int OW => (W + 2 * Padding - Kernel) / Stride + 1;
}

/// <summary>Max, average and adaptive-average pooling over planes of (H, W), with their backward passes, as PyTorch computes them.</summary>
public static class Pooling
{
    /// <summary>y = max over each window (padding counts as −∞); argmax[i] = index h·W + w of the first maximum, row by row.</summary>
    public static void MaxForward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, PoolGeometry g)
    {
        int oh = g.OH, ow = g.OW;
        for (int p = 0; p < g.Planes; p++)
        {
            var xp = x.Slice(p * g.H * g.W, g.H * g.W);
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                int y0 = oy * g.Stride - g.Padding, x0 = ox * g.Stride - g.Padding;
                int y1 = Math.Min(y0 + g.Kernel, g.H), x1 = Math.Min(x0 + g.Kernel, g.W);
                y0 = Math.Max(y0, 0); x0 = Math.Max(x0, 0);
                float best = float.NegativeInfinity;
                int bestIdx = y0 * g.W + x0;
                for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++)
                {
                    float v = xp[iy * g.W + ix];
                    if (v > best || float.IsNaN(v)) { best = v; bestIdx = iy * g.W + ix; if (float.IsNaN(v)) goto done; }
                }
                done:
                int o = (p * oh + oy) * ow + ox;
                y[o] = best;
                argmax[o] = bestIdx;
            }
        }
    }

    /// <summary>dx[argmax] += dy; dx is overwritten.</summary>
    public static void MaxBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx, PoolGeometry g)
    {
        dx.Clear();
        int plane = g.OH * g.OW;
        for (int p = 0; p < g.Planes; p++)
        {
            var dxp = dx.Slice(p * g.H * g.W, g.H * g.W);
            for (int i = 0; i < plane; i++) dxp[argmax[p * plane + i]] += dy[p * plane + i];
        }
    }

    /// <summary>y = mean over each window, dividing by Kernel² (padding counted, PyTorch's count_include_pad=True).</summary>
    public static void AvgForward(ReadOnlySpan<float> x, Span<float> y, PoolGeometry g)
    {
        int oh = g.OH, ow = g.OW;
        float inv = 1f / (g.Kernel * g.Kernel);
        for (int p = 0; p < g.Planes; p++)
        {
            var xp = x.Slice(p * g.H * g.W, g.H * g.W);
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                int y0 = Math.Max(oy * g.Stride - g.Padding, 0), x0 = Math.Max(ox * g.Stride - g.Padding, 0);
                int y1 = Math.Min(oy * g.Stride - g.Padding + g.Kernel, g.H), x1 = Math.Min(ox * g.Stride - g.Padding + g.Kernel, g.W);
                float s = 0;
                for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) s += xp[iy * g.W + ix];
                y[(p * oh + oy) * ow + ox] = s * inv;
            }
        }
    }

    /// <summary>dx[window] += dy / Kernel²; dx is overwritten.</summary>
    public static void AvgBackward(ReadOnlySpan<float> dy, Span<float> dx, PoolGeometry g)
    {
        dx.Clear();
        int oh = g.OH, ow = g.OW;
        float inv = 1f / (g.Kernel * g.Kernel);
        for (int p = 0; p < g.Planes; p++)
        {
            var dxp = dx.Slice(p * g.H * g.W, g.H * g.W);
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                int y0 = Math.Max(oy * g.Stride - g.Padding, 0), x0 = Math.Max(ox * g.Stride - g.Padding, 0);
                int y1 = Math.Min(oy * g.Stride - g.Padding + g.Kernel, g.H), x1 = Math.Min(ox * g.Stride - g.Padding + g.Kernel, g.W);
                float v = dy[(p * oh + oy) * ow + ox] * inv;
                for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) dxp[iy * g.W + ix] += v;
            }
        }
    }

    /// <summary>Start (inclusive) of adaptive bin <paramref name="o"/>: ⌊o·in/out⌋, as PyTorch.</summary>
    public static int AdaptiveStart(int o, int inSize, int outSize) => (int)((long)o * inSize / outSize);

    /// <summary>End (exclusive) of adaptive bin <paramref name="o"/>: ⌈(o+1)·in/out⌉.</summary>
    public static int AdaptiveEnd(int o, int inSize, int outSize) => (int)(((long)(o + 1) * inSize + outSize - 1) / outSize);

    /// <summary>y[p, oy, ox] = mean of x[p] over the adaptive bin (oy, ox).</summary>
    public static void AdaptiveAvgForward(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int w, int oh, int ow)
    {
        for (int p = 0; p < planes; p++)
        {
            var xp = x.Slice(p * h * w, h * w);
            for (int oy = 0; oy < oh; oy++)
            {
                int y0 = AdaptiveStart(oy, h, oh), y1 = AdaptiveEnd(oy, h, oh);
                for (int ox = 0; ox < ow; ox++)
                {
                    int x0 = AdaptiveStart(ox, w, ow), x1 = AdaptiveEnd(ox, w, ow);
                    double s = 0;
                    for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) s += xp[iy * w + ix];
                    y[(p * oh + oy) * ow + ox] = (float)(s / ((y1 - y0) * (x1 - x0)));
                }
            }
        }
    }

    /// <summary>dx[bin] += dy / |bin|; dx is overwritten.</summary>
    public static void AdaptiveAvgBackward(ReadOnlySpan<float> dy, Span<float> dx, int planes, int h, int w, int oh, int ow)
    {
        dx.Clear();
        for (int p = 0; p < planes; p++)
        {
            var dxp = dx.Slice(p * h * w, h * w);
            for (int oy = 0; oy < oh; oy++)
            {
                int y0 = AdaptiveStart(oy, h, oh), y1 = AdaptiveEnd(oy, h, oh);
                for (int ox = 0; ox < ow; ox++)
                {
                    int x0 = AdaptiveStart(ox, w, ow), x1 = AdaptiveEnd(ox, w, ow);
                    float v = dy[(p * oh + oy) * ow + ox] / ((y1 - y0) * (x1 - x0));
                    for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) dxp[iy * w + ix] += v;
                }
            }
        }
    }
}
