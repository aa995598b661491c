using NetBlocks.Kernels;

namespace NetBlocks.Cuda;

/// <summary>A <see cref="PoolGeometry"/> as the pooling kernels read it: plain ints, the output plane computed once.</summary>
internal struct PoolShape
{
    public int Planes, H, W, Kernel, Stride, Padding, OH, OW;

    public PoolShape(PoolGeometry g)
    {
        Planes = g.Planes; H = g.H; W = g.W; Kernel = g.Kernel; Stride = g.Stride; Padding = g.Padding; OH = g.OH; OW = g.OW;
    }

    /// <summary>First output index (along one axis) whose window covers input index i: ⌈(i + P − K + 1) / S⌉, at least 0.</summary>
    public readonly int FirstWindow(int i)
    {
        int t = i + Padding - Kernel + 1;
        return t <= 0 ? 0 : (t + Stride - 1) / Stride;
    }

    /// <summary>One past the last output index whose window covers input index i, at most <paramref name="outSize"/>.</summary>
    public readonly int EndWindow(int i, int outSize) => Math.Min((i + Padding) / Stride + 1, outSize);

    /// <summary>First input index (along one axis) inside output index o's window: o·S − P, at least 0.</summary>
    public readonly int WindowStart(int o) => Math.Max(o * Stride - Padding, 0);

    /// <summary>One past the last input index inside output index o's window: o·S − P + K, at most <paramref name="inSize"/>.</summary>
    public readonly int WindowEnd(int o, int inSize) => Math.Min(o * Stride - Padding + Kernel, inSize);
}
