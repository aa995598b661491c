using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// The data loader's resize on the device (<see cref="CudaResample"/>): int32 byte values in, float32 out, bit for bit
    /// the CPU's. Called on the loader's prefetch threads while the training thread drives the other ops.
    /// </summary>
    public void ResampleImages(Tensor source, Tensor destination, ImageResample resample) =>
        Context.Resample.Apply(I32(source), F32(destination), resample);
}
