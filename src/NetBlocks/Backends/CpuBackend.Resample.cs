using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Backends;

public sealed partial class CpuBackend
{
    /// <summary>Image by image through <see cref="ImageResample.Apply"/> (the scalar twin; values outside [0, 255] are refused).</summary>
    public void ResampleImages(Tensor source, Tensor destination, ImageResample resample)
    {
        var src = I32(source);
        var dst = F32(destination);
        int inSize = resample.InHeight * resample.InWidth, outSize = resample.OutHeight * resample.OutWidth;
        int images = inSize == 0 ? 0 : src.Length / inSize;
        if (src.Length != images * inSize || dst.Length != images * outSize)
            throw new ArgumentException(
                $"ResampleImages: {ShapeUtil.Format(source.Shape)} → {ShapeUtil.Format(destination.Shape)} is not a batch of " +
                $"{resample.InHeight}×{resample.InWidth} → {resample.OutHeight}×{resample.OutWidth} images");
        var rows = new int[resample.InHeight * resample.OutWidth];
        for (int i = 0; i < images; i++)
            resample.Apply(src.Slice(i * inSize, inSize), dst.Slice(i * outSize, outSize), rows);
    }
}
