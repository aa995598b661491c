using ILGPU;
using NetBlocks.Kernels;

namespace NetBlocks.Cuda;

/// <summary>
/// A <see cref="ConvGeometry"/> as the convolution kernels read it: plain ints with the derived sizes computed once on
/// the host (output plane, channels per group, window size), so a kernel does no 64-bit geometry arithmetic per element.
/// </summary>
internal struct ConvShape
{
    public int N, C, H, W, OC, KH, KW, Stride, Padding, Groups;
    public int OH, OW, CinPerGroup, CoutPerGroup, Window, PatchSize, OutPlane, InPlane;

    public ConvShape(ConvGeometry g)
    {
        N = g.N; C = g.C; H = g.H; W = g.W; OC = g.OC; KH = g.KH; KW = g.KW; Stride = g.Stride; Padding = g.Padding; Groups = g.Groups;
        OH = g.OH; OW = g.OW; CinPerGroup = g.CinPerGroup; CoutPerGroup = g.CoutPerGroup; Window = g.KH * g.KW;
        PatchSize = g.PatchSize; OutPlane = g.OutPlane; InPlane = g.H * g.W;
    }

    /// <summary>
    /// The implicit column matrix of group <paramref name="z"/>: the input value under entry <paramref name="patch"/>
    /// (channel·KH·KW + ky·KW + kx) of the window of output pixel <paramref name="pixel"/> (sample·OH·OW + position),
    /// zero in the padding. The forward reads it as (patch, pixel), the weight gradient as (pixel, patch).
    /// </summary>
    public readonly float Gather(ArrayView<float> x, int z, int pixel, int patch)
    {
        int sample = pixel / OutPlane, position = pixel - sample * OutPlane;
        int oy = position / OW, ox = position - oy * OW;
        int channel = patch / Window, tap = patch - channel * Window;
        int ky = tap / KW, kx = tap - ky * KW;
        int iy = oy * Stride - Padding + ky, ix = ox * Stride - Padding + kx;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) return 0f;
        return x[(((long)sample * C + z * CinPerGroup + channel) * H + iy) * W + ix];
    }
}
