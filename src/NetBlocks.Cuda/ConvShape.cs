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
}
