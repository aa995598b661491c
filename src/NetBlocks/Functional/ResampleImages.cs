using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Functional;

public static partial class F
{
    /// <summary>
    /// Resizes a batch of 8-bit images and converts them to floats (<see cref="ImageResample"/>: Pillow's bilinear resize
    /// then the byte → float table, i.e. torchvision's <c>Resize</c> + <c>ToTensor</c> [+ <c>Normalize</c>]): pixels is an
    /// int32 tensor (…, InHeight, InWidth) of byte values, the result a float32 tensor (…, OutHeight, OutWidth) on the
    /// same device. No gradient (the input is integer). The data loader uploads a batch at its source size and resizes it
    /// here, on the device.
    /// </summary>
    public static Tensor ResampleImages(Tensor pixels, ImageResample resample)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(resample);
        using var profile = OpProfiler.Scope("ResampleImages");
        var shape = pixels.ShapeArray;
        if (shape.Length < 2 || shape[^2] != resample.InHeight || shape[^1] != resample.InWidth)
            throw new ArgumentException($"resample_images: expected images (…, {resample.InHeight}, {resample.InWidth}), got {ShapeUtil.Format(shape)}");
        var outShape = (int[])shape.Clone();
        (outShape[^2], outShape[^1]) = (resample.OutHeight, resample.OutWidth);
        if (AnyMeta(pixels)) return Tensor.Meta(outShape);
        if (pixels.DType != DType.Int32)
            throw new ArgumentException($"resample_images: expected int32 pixel values (0 to 255), got a {pixels.DType.ToString().ToLowerInvariant()} tensor of shape {ShapeUtil.Format(shape)}");
        Sizes.Elements(outShape, "output", "resample_images");
        var y = Tensor.Empty(pixels.Device, outShape);
        pixels.Backend.ResampleImages(pixels, y, resample);
        return y;
    }
}
