using NetBlocks.Kernels;
using NetBlocks.Tensors;

namespace NetBlocks.Backends;

public sealed partial class CpuBackend
{
    public void MaxPool2d(Tensor x, Tensor y, PoolGeometry g) => Pooling.MaxForward(F32(x), F32(y), g);

    public void MaxPool2dBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g) => Pooling.MaxBackward(F32(x), F32(dy), F32(dx), g);

    public void AvgPool2d(Tensor x, Tensor y, PoolGeometry g) => Pooling.AvgForward(F32(x), F32(y), g);

    public void AvgPool2dBackward(Tensor dy, Tensor dx, PoolGeometry g) => Pooling.AvgBackward(F32(dy), F32(dx), g);

    public void AdaptiveAvgPool2d(Tensor x, Tensor y) =>
        Pooling.AdaptiveAvgForward(F32(x), F32(y), x.Size(0) * x.Size(1), x.Size(2), x.Size(3), y.Size(2), y.Size(3));

    public void AdaptiveAvgPool2dBackward(Tensor dy, Tensor dx) =>
        Pooling.AdaptiveAvgBackward(F32(dy), F32(dx), dx.Size(0) * dx.Size(1), dx.Size(2), dx.Size(3), dy.Size(2), dy.Size(3));
}
